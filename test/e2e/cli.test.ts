/**
 * The `readiness` CLI as a user runs it: real processes, a real worker process, the shared
 * Temporal dev server and Postgres, a real HTTP target.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runCli, spawnWorker, stopWorker } from '../helpers/cli';
import { testEnv, uid } from '../helpers/env';
import { delayed, startTarget } from '../helpers/target';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = mkdtempSync(path.join(testEnv.dir, 'cli-'));
  // --data-dir points at an empty dir so no local `readiness dev` state is picked up.
  env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_REPORT_DIR: path.join(dir, 'reports'),
    READINESS_LOG_LEVEL: 'warn',
  };
});

function campaignFile(baseUrl: string, name = `cli-${uid()}`): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: readiness/v1
name: ${name}
target: { baseUrl: "${baseUrl}" }
scenario:
  thinkTime: 10ms
  requests: [{ name: get, method: GET, path: /x }]
baseline:
  phases: [{ name: smoke, users: 3, duration: 2s }]
  thresholds: ["p(95)<500", "error_rate<0.01"]
`,
  );
  return file;
}

describe('readiness CLI', () => {
  test.each([
    'dev',
    'worker',
    'validate',
    'start',
    'status',
    'report',
    'abort',
    'attest',
    'waive',
    'approve',
    'reject',
    'codec-server',
    'rescore',
    'history',
    'schedule',
    'demo',
    'init',
  ])('when `%s --help` runs, then it prints usage and exits 0', async (cmd) => {
    const r = await runCli([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: readiness ${cmd}`);
  });

  test('when the top-level help runs, then it documents the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3 {2}NO_GO/);
  });

  test('when a valid campaign is validated, then it exits 0 with a summary', async () => {
    const r = await runCli(['validate', path.join(EXAMPLES, 'campaign.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid campaign "goals-api" (4 baseline phases, 4 request types)');
  });

  test('when a broken campaign is validated, then it exits 2 listing every problem as path: message', async () => {
    const r = await runCli(['validate', path.join(EXAMPLES, 'broken.yaml')]);
    expect(r.code).toBe(2);
    for (const expected of [
      'name: name must be lowercase',
      'target.baseUrl: baseUrl must be an http',
      'target.headers.Authorization: header "Authorization" looks secret',
      'scenario.thinkTime: invalid thinkTime',
      'scenario.requests[0].path: unknown variable "{{missing}}"',
      'baseline.phases[0].users: users must be at least 1',
      'baseline.phases[0].duration:',
      'baseline.thresholds[0]: invalid threshold "p95<500"',
      'stres: unknown field',
    ])
      expect(r.stderr).toContain(expected);
  });

  test('when an invalid file is started, then it exits 2 and no workflow is started', async () => {
    const id = `never-${uid()}`;
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(campaignFile('http://127.0.0.1:9')).toString().replace('users: 3', 'users: -3'));
    const r = await runCli(['start', bad, '--id', id, '--data-dir', dir], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('baseline.phases[0].users: users must be at least 1');
    const s = await runCli(['status', id, '--data-dir', dir], env);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain(`no campaign with id "${id}"`);
  });

  describe('with a worker process running', () => {
    let worker: ChildProcess & { logs: () => string };
    beforeAll(async () => {
      worker = await spawnWorker(env);
    });
    afterAll(async () => {
      await stopWorker(worker);
    });

    test('when `start --wait --json` runs a campaign, then it exits with the verdict code and prints the result as the last line', async () => {
      const target = await startTarget(delayed(2));
      try {
        const id = `cli-e2e-${uid()}`;
        const r = await runCli(
          ['start', campaignFile(target.url), '--wait', '--json', '--id', id, '--data-dir', dir],
          env,
        );
        expect(r.code).toBe(3);
        const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
        expect(last).toEqual({
          campaignId: id,
          workflowId: id,
          decision: 'NO_GO',
          scorePct: expect.any(Number),
          reportDir: path.join(dir, 'reports', id),
        });
        expect(r.stderr).toContain(`/namespaces/default/workflows/${id}`);
        const report = JSON.parse(readFileSync(path.join(last.reportDir, 'report.json'), 'utf8'));
        expect(report.baseline.phases[0]).toMatchObject({ name: 'smoke', users: 3, assessment: 'pass' });

        const again = await runCli(['start', campaignFile(target.url), '--id', id, '--data-dir', dir], env);
        expect(again.code).toBe(2);
        expect(again.stderr).toContain(`campaign "${id}" is already running`);

        const status = await runCli(['status', id, '--data-dir', dir], env);
        expect(status.code).toBe(0);
        expect(status.stdout).toContain(`${id}: COMPLETED NO_GO (score ${last.scorePct}%)`);

        const json = await runCli(['report', id, '--format', 'json', '--data-dir', dir], env);
        expect(json.code).toBe(0);
        expect(JSON.parse(json.stdout)).toMatchObject({
          schemaVersion: 2,
          campaign: { id },
          verdict: { decision: 'NO_GO' },
        });
        const out = path.join(dir, 'out', 'r.md');
        const md = await runCli(['report', id, '--out', out, '--data-dir', dir], {
          ...env,
          READINESS_OUT_DIRS: path.dirname(out),
        });
        expect(md.code).toBe(0);
        expect(readFileSync(out, 'utf8')).toContain('| smoke | 3 |');

        const abort = await runCli(['abort', id, '--by', 'bob', '--data-dir', dir], env);
        expect(abort.code).toBe(2);
        expect(abort.stderr).toContain('is not running (COMPLETED)');
      } finally {
        await target.close();
      }
    });
  });

  test('when a command names an unknown campaign, then it exits 2 with a clear message', async () => {
    for (const args of [
      ['status', 'no-such-campaign'],
      ['report', 'no-such-campaign'],
      ['abort', 'no-such-campaign', '--by', 'x'],
      ['rescore', 'no-such-campaign'],
      ['attest', 'no-such-campaign', 'ops.on-call', '--by', 'x'],
      ['waive', 'no-such-campaign', 'ops.on-call', '--by', 'x', '--reason', 'r', '--expires', '2099-01-01'],
    ]) {
      const r = await runCli([...args, '--data-dir', dir], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('no campaign with id "no-such-campaign"');
    }
  });

  test('when the Temporal server is unreachable, then start exits 1 and says where it looked', async () => {
    const r = await runCli(['start', campaignFile('http://127.0.0.1:9'), '--data-dir', dir], {
      ...env,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach the Temporal server at 127.0.0.1:1');
  });

  test('when arguments are wrong, then the exit code is 2', async () => {
    expect((await runCli(['start'])).code).toBe(2);
    expect((await runCli(['report', 'x', '--format', 'pdf'])).code).toBe(2);
    expect((await runCli(['report', 'x', '--format', 'xml', '--data-dir', dir], env)).code).toBe(2);
    expect((await runCli(['worker'], { DATABASE_URL: '' })).code).toBe(2);
  });
});
