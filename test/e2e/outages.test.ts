/**
 * Reliability under outages (issue 9): the Temporal server restarted mid-campaign (its SQLite file
 * persists), and the results Postgres stopped mid-campaign and started again. Each test has its own server
 * or database (the shared ones cannot be restarted), a real worker process and a loopback target; the
 * campaign must complete with every phase result stored exactly once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'pg';
import { migrate } from '../../src/infra/db';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/infra/postgres';
import { freePort } from '../../src/infra/process';
import { registerSearchAttributes, startDevServer, type DevServer } from '../../src/infra/temporal-cli';
import type { CampaignResult } from '../../src/core/types';
import { runCli, spawnWorker, stopWorker } from '../helpers/cli';
import { testEnv, uid } from '../helpers/env';
import { recordFigures } from '../helpers/figures';
import { delayed, startTarget } from '../helpers/target';

const CLI = () => process.env.READINESS_TEST_TEMPORAL_CLI!;

async function devServer(dir: string, port: number, uiPort: number): Promise<DevServer> {
  const server = await startDevServer({
    binary: CLI(),
    dbFile: path.join(dir, 'temporal.db'),
    port,
    uiPort,
    logFile: path.join(dir, 'temporal.log'),
    startTimeoutMs: 60_000,
  });
  const conn = await Connection.connect({ address: server.address });
  await registerSearchAttributes(conn, 'default');
  await conn.close();
  return server;
}

function campaignFile(dir: string, baseUrl: string, phases: string, thresholds = '[]'): string {
  const file = path.join(dir, `c-${uid()}.yaml`);
  writeFileSync(
    file,
    `apiVersion: readiness/v1
name: outage-${uid()}
target: { baseUrl: "${baseUrl}" }
scenario: { thinkTime: 20ms, requests: [{ name: get, method: GET, path: /x }] }
baseline: { phases: [${phases}], thresholds: ${thresholds} }
checklist: { defaults: false, items: [{ id: perf.baseline, title: Baseline, category: Performance, severity: P1, automated: { check: phase.baseline } }] }
`,
  );
  return file;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// The default heartbeat timeout (20 s) outlasts the restart: the server does not retry the running load slice,
// whose heartbeats resume once the worker has reconnected.
test('when the Temporal server restarts mid-campaign, then the worker reconnects and the campaign completes with each phase stored once', async () => {
  const dir = mkdtempSync(path.join(testEnv.dir, 'restart-'));
  const [port, uiPort] = [await freePort(), await freePort()];
  let server = await devServer(dir, port, uiPort);
  const target = await startTarget(delayed(3));
  const env = {
    TEMPORAL_ADDRESS: server.address,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_REPORT_DIR: path.join(dir, 'reports'),
    READINESS_LOG_LEVEL: 'warn',
  };
  let worker: ChildProcess | undefined;
  try {
    worker = await spawnWorker(env);
    const id = `restart-${uid()}`;
    const started = await runCli(
      [
        'start',
        campaignFile(
          dir,
          target.url,
          '{ name: first, users: 3, duration: 6s }, { name: second, users: 3, duration: 4s }',
        ),
        '--id',
        id,
        '--data-dir',
        dir,
      ],
      env,
    );
    expect(started.code).toBe(0);
    await until('load to flow', () => target.requests() > 50, 30_000);
    const stoppedAt = Date.now();
    await server.stop();
    await new Promise((r) => setTimeout(r, 3_000));
    server = await devServer(dir, port, uiPort);
    const downS = (Date.now() - stoppedAt) / 1000;

    const connection = await Connection.connect({ address: server.address });
    try {
      const result = (await new Client({ connection }).workflow.getHandle(id).result()) as CampaignResult;
      expect(result.phases.baseline).toEqual({ status: 'pass', reason: '2 phases within thresholds' });
      expect(result.decision).toBe('GO');
    } finally {
      await connection.close();
    }
    const pool = new Pool({ connectionString: testEnv.databaseUrl, max: 1 });
    try {
      const rows = await pool.query(
        'SELECT phase_name, result FROM baseline_results WHERE campaign_id = $1 ORDER BY ordinal',
        [id],
      );
      expect(rows.rows.map((r) => r.phase_name)).toEqual(['first', 'second']);
      // What the target answered equals what was stored: nothing lost, nothing counted twice.
      expect(rows.rows.reduce((n, r) => n + r.result.requests, 0)).toBe(target.requests());
    } finally {
      await pool.end();
    }
    recordFigures('temporal-restart', {
      scenario: 'Temporal server restarted mid-phase (SQLite persistence)',
      test: 'test/e2e/outages.test.ts',
      figures: {
        serverDownS: Math.round(downS * 10) / 10,
        completed: true,
        requestsAnswered: target.requests(),
        requestsLost: 0,
      },
    });
  } finally {
    if (worker) await stopWorker(worker);
    await target.close();
    await server.stop();
  }
}, 150_000);

const PG_DOWN_S = 60;

test(`when the results Postgres stops for ${PG_DOWN_S} s mid-campaign, then the campaign completes after it returns and no result is missing`, async () => {
  const dir = mkdtempSync(path.join(testEnv.dir, 'pgdown-'));
  const pgPort = await freePort();
  let pg: EmbeddedPostgres = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port: pgPort });
  await migrate(pg.url);
  const target = await startTarget(delayed(3));
  const env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: pg.url,
    READINESS_REPORT_DIR: path.join(dir, 'reports'),
    READINESS_LOG_LEVEL: 'warn',
  };
  let worker: ChildProcess | undefined;
  try {
    worker = await spawnWorker(env);
    const id = `pgdown-${uid()}`;
    const run = runCli(
      [
        'start',
        campaignFile(
          dir,
          target.url,
          '{ name: first, users: 3, duration: 8s }, { name: second, users: 3, duration: 4s }',
        ),
        '--id',
        id,
        '--wait',
        '--json',
        '--data-dir',
        dir,
      ],
      env,
      300_000,
    );
    await until('load to flow', () => target.requests() > 50, 30_000);
    await pg.stop();
    await new Promise((r) => setTimeout(r, PG_DOWN_S * 1_000));
    pg = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port: pgPort });
    const backAt = Date.now();
    const r = await run;
    const doneAfterMs = Date.now() - backAt;
    expect(r.stderr).not.toMatch(/error:/);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last).toMatchObject({ campaignId: id, decision: 'GO' });
    const pool = new Pool({ connectionString: pg.url, max: 1 });
    try {
      const rows = await pool.query(
        'SELECT phase_name, result FROM baseline_results WHERE campaign_id = $1 ORDER BY ordinal',
        [id],
      );
      expect(rows.rows.map((x) => x.phase_name)).toEqual(['first', 'second']);
      expect(rows.rows.reduce((n, x) => n + x.result.requests, 0)).toBe(target.requests());
      const campaign = await pool.query('SELECT decision FROM campaigns WHERE id = $1', [id]);
      expect(campaign.rows[0].decision).toBe('GO');
      recordFigures('postgres-outage', {
        scenario: `Results Postgres stopped for ${PG_DOWN_S} s mid-campaign`,
        test: 'test/e2e/outages.test.ts',
        figures: {
          databaseDownS: PG_DOWN_S,
          completed: true,
          completedSAfterDatabaseBack: Math.round(doneAfterMs / 100) / 10,
          requestsAnswered: target.requests(),
          requestsStored: rows.rows.reduce((n, x) => n + x.result.requests, 0),
        },
      });
    } finally {
      await pool.end();
    }
  } finally {
    if (worker) await stopWorker(worker);
    await target.close();
    await pg.stop();
  }
}, 330_000);

test('when the target dies mid-phase, then the campaign ends NO_GO naming refused connections, with no retry storm against the dead port', async () => {
  const dir = mkdtempSync(path.join(testEnv.dir, 'dying-'));
  const target = await startTarget(delayed(3));
  const port = Number(new URL(target.url).port);
  const env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_REPORT_DIR: path.join(dir, 'reports'),
    READINESS_LOG_LEVEL: 'warn',
  };
  let worker: ChildProcess | undefined;
  // Counts connection attempts to the dead port: a listener that accepts and closes at once stands in for
  // nothing listening, so the attempts can be counted (each is refused / reset for the client).
  let attemptsAfterDeath = 0;
  let catcher: import('node:net').Server | undefined;
  try {
    worker = await spawnWorker(env);
    const users = 4;
    const run = runCli(
      [
        'start',
        campaignFile(dir, target.url, `{ name: dying, users: ${users}, duration: 8s }`, '["error_rate<0.01"]'),
        '--id',
        `dying-${uid()}`,
        '--wait',
        '--json',
        '--data-dir',
        dir,
      ],
      env,
      120_000,
    );
    await until('load to flow', () => target.requests() > 100, 30_000);
    await target.close();
    const net = await import('node:net');
    catcher = net.createServer((s) => {
      attemptsAfterDeath += 1;
      s.destroy();
    });
    await new Promise<void>((r) => catcher!.listen(port, '127.0.0.1', r));
    const diedAt = Date.now();
    const r = await run;
    const deadS = (Date.now() - diedAt) / 1000;
    expect(r.code).toBe(3);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const report = JSON.parse(
      (await runCli(['report', last.campaignId, '--format', 'json', '--data-dir', dir], env)).stdout,
    );
    const phase = report.baseline.phases[0];
    expect(report.phases.baseline.status).toBe('fail');
    expect(Object.keys(phase.errorCounts).join(',')).toMatch(/socket|ECONNRESET|ECONNREFUSED|UND_ERR/);
    // No retry storm: after a transport error each user pauses at least 50 ms, so at most users / 50 ms.
    const perUserPerS = attemptsAfterDeath / users / Math.max(1, deadS);
    expect(perUserPerS).toBeLessThanOrEqual(25);
    recordFigures('target-dies', {
      scenario: 'Target dies mid-phase',
      test: 'test/e2e/outages.test.ts',
      figures: {
        decision: last.decision,
        connectionAttemptsPerUserPerS: Math.round(perUserPerS * 10) / 10,
        failedRequests: phase.failedRequests,
      },
    });
  } finally {
    if (worker) await stopWorker(worker);
    await new Promise((r) => (catcher ? catcher.close(r) : r(undefined)));
  }
}, 150_000);

test('when the target refuses every connection from the start, then the campaign ends NO_GO saying it is unreachable, after a few attempts and no load', async () => {
  const dir = mkdtempSync(path.join(testEnv.dir, 'unreachable-'));
  const env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_REPORT_DIR: path.join(dir, 'reports'),
    READINESS_LOG_LEVEL: 'warn',
  };
  // Accepts and closes every connection at once, counting them: a target that is down, whose attempts can be counted.
  let attempts = 0;
  const net = await import('node:net');
  const catcher = net.createServer((s) => {
    attempts += 1;
    s.destroy();
  });
  await new Promise<void>((r) => catcher.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(catcher.address() as import('node:net').AddressInfo).port}`;
  let worker: ChildProcess | undefined;
  try {
    worker = await spawnWorker(env);
    const started = Date.now();
    const r = await runCli(
      [
        'start',
        campaignFile(dir, url, '{ name: never, users: 20, duration: 30s }'),
        '--id',
        `unreachable-${uid()}`,
        '--wait',
        '--json',
        '--data-dir',
        dir,
      ],
      env,
      120_000,
    );
    const verdictS = (Date.now() - started) / 1000;
    expect(r.code).toBe(3);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last.decision).toBe('NO_GO');
    const report = JSON.parse(
      (await runCli(['report', last.campaignId, '--format', 'json', '--data-dir', dir], env)).stdout,
    );
    expect(report.phases.baseline).toEqual({
      status: 'error',
      reason: expect.stringMatching(
        /^target unreachable \(3 probes, 5 s apart\): .*: (the target closed the connection without answering \(UND_ERR_SOCKET\)|connection reset by the target \(ECONNRESET\))$/,
      ),
    });
    // Three health probes 5 s apart, not 20 users hammering a dead port for 30 s.
    expect(attempts).toBe(3);
    expect(verdictS).toBeLessThan(30);
    recordFigures('target-unreachable', {
      scenario: 'Target refuses every connection from the start',
      test: 'test/e2e/outages.test.ts',
      figures: {
        decision: last.decision,
        connectionAttempts: attempts,
        secondsToVerdict: Math.round(verdictS * 10) / 10,
        probes: 3,
      },
    });
  } finally {
    if (worker) await stopWorker(worker);
    await new Promise((r) => catcher.close(r));
  }
}, 150_000);
