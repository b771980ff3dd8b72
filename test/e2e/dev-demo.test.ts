/**
 * `readiness dev` and `readiness demo` as a new user runs them: each starts its own Temporal dev
 * server and Postgres in a data dir, and stops everything at the end.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { request } from 'undici';
import { namespaceRetentionMs } from '../../src/infra/retention';
import { CLI, runCli } from '../helpers/cli';
import { freePort, isPortFree } from '../../src/infra/process';
import { testEnv } from '../helpers/env';
import { launchChromium, openReport } from '../helpers/browser';

/** Lines of a console output that are raw JSON log lines. */
const jsonLines = (out: string) => out.split('\n').filter((l) => l.trim().startsWith('{'));

function runDev(dataDir: string, port: number, uiPort: number, extra: string[] = []) {
  const child = spawn(
    process.execPath,
    [CLI, 'dev', '--data-dir', dataDir, '--port', String(port), '--ui-port', String(uiPort), ...extra],
    {
      env: { ...process.env, DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev not ready:\n${out}`)), 90_000);
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.includes('ready'));
      if (line && line.startsWith('readiness dev ready')) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dev exited ${code}:\n${out}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, exited, output: () => out };
}

describe('readiness dev', () => {
  test('when started twice on the same data dir, then it is ready with a Web UI each time and stops cleanly on SIGINT', async () => {
    const dataDir = mkdtempSync(path.join(testEnv.dir, 'dev-'));
    for (let round = 0; round < 2; round++) {
      const [port, uiPort] = [await freePort(), await freePort()];
      // The namespace keeps finished campaigns 30 days (the dev server's own 24 h would lose last week's run);
      // --retention changes it on the persisted server.
      const dev = runDev(dataDir, port, uiPort, round === 0 ? [] : ['--retention', '45d']);
      const line = await dev.ready;
      expect(line).toContain(`Web UI http://127.0.0.1:${uiPort}`);
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      try {
        expect(await namespaceRetentionMs(connection, 'default')).toBe((round === 0 ? 30 : 45) * 86_400_000);
      } finally {
        await connection.close();
      }
      const ui = await request(`http://127.0.0.1:${uiPort}/`);
      await ui.body.dump();
      expect(ui.statusCode).toBe(200);
      expect(existsSync(path.join(dataDir, 'dev.json'))).toBe(true);
      dev.child.kill('SIGINT');
      expect(await dev.exited).toBe(0);
      expect(dev.output()).toContain('readiness dev stopped');
      expect(jsonLines(dev.output())).toEqual([]);
      // The first round initialises the results cluster and migrates it, and says so; the second has nothing to do.
      if (round === 0)
        expect(dev.output()).toMatch(/readiness dev: initialising the PostgreSQL cluster in .*: done in [\d.]+ s/);
      if (round === 0)
        expect(dev.output()).toMatch(/readiness dev: applying \d+ database migrations: done in [\d.]+ s/);
      if (round === 1) expect(dev.output()).not.toContain('initialising');
      expect(await isPortFree(port)).toBe(true);
      expect(existsSync(path.join(dataDir, 'dev.json'))).toBe(false);
    }
    expect(existsSync(path.join(dataDir, 'temporal.db'))).toBe(true);
  });
});

describe('readiness demo', () => {
  test('when the demo runs on embedded defaults, then it reaches a verdict and writes report.md, report.json and report.html with charts', async () => {
    const dataDir = mkdtempSync(path.join(testEnv.dir, 'demo-'));
    const r = await runCli(['demo', '--scale', '0.1', '--json', '--data-dir', dataDir], { DATABASE_URL: '' }, 180_000);
    expect(r.code).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last).toMatchObject({
      decision: 'NO_GO',
      scorePct: expect.any(Number),
      reportDir: path.join(dataDir, 'reports', last.campaignId),
    });
    const report = JSON.parse(readFileSync(path.join(last.reportDir, 'report.json'), 'utf8'));
    expect(report.baseline.phases.map((p: { name: string }) => p.name)).toEqual([
      'smoke',
      'normal',
      'peak',
      'endurance',
    ]);
    expect(readFileSync(path.join(last.reportDir, 'report.md'), 'utf8')).toContain('| smoke | 5 |');
    // The restore drill ran on the demo's own database while the campaign wrote to it: every table proven.
    expect(report.phases.backup.status).toBe('pass');
    const pg = report.backup.drills[0];
    expect(pg.tables.length).toBeGreaterThan(3);
    expect(pg.tables.every((t: { match: boolean }) => t.match)).toBe(true);
    expect(r.stdout).toContain('verdict: NO_GO');
    // The stress phase shows what it is for: several passing steps, a breaking point, a ceiling below it, how the
    // target degraded past it and how long it took to recover once the load went down.
    const md = readFileSync(path.join(last.reportDir, 'report.md'), 'utf8');
    const st = report.stress;
    expect(st.ramp).toBe('continuous');
    expect(st.steps.filter((x: { status: string }) => x.status === 'pass').length).toBeGreaterThanOrEqual(2);
    expect(st.breakingPoint.users).toBeGreaterThan(st.capacityCeiling.users);
    expect(typeof st.degradation.graceful).toBe('boolean');
    expect(st.recoveryAfterLoad).toMatchObject({ recovered: true, timeS: expect.any(Number) });
    // The performance analysis, every part filled from the demo's own run: reads and writes per phase, a cold-start
    // row per phase (a factor, or why a compressed phase has none), scaling over baseline phases and stress steps, a
    // capacity model with its figures, the degradation past the breaking point, and recommendations with evidence.
    const a = report.analysis;
    for (const phase of ['smoke', 'normal', 'peak', 'endurance'])
      expect(
        a.byOperation
          .filter((o: { phase: string }) => o.phase === phase)
          .map((o: { operation: string }) => o.operation)
          .sort(),
      ).toEqual(['read', 'write']);
    expect(a.slowestEndpoints.length).toBeGreaterThan(0);
    expect(a.coldStart.map((c: { phase: string }) => c.phase)).toEqual(['smoke', 'normal', 'peak', 'endurance']);
    for (const c of a.coldStart) expect(typeof c.factor === 'number' || typeof c.reason === 'string').toBe(true);
    expect(a.coldStart.some((c: { factor: number | null }) => typeof c.factor === 'number')).toBe(true);
    expect(a.scaling.filter((x: { source: string }) => x.source === 'stress').length).toBe(
      st.steps.filter((x: { status: string }) => x.status !== 'invalid').length,
    );
    expect(a.scaling.some((x: { source: string }) => x.source === 'baseline')).toBe(true);
    expect(a.capacityModel).toMatchObject({ evaluable: true, r2: expect.any(Number), safeUsers: expect.any(Number) });
    expect(a.capacityModel.safeUsers).toBeLessThanOrEqual(st.capacityCeiling.users);
    expect(a.degradation).toMatchObject({
      evaluable: true,
      atBreakingPoint: { users: st.breakingPoint.users },
      throughputLostPct: expect.any(Number),
    });
    expect(a.recommendations.length).toBeGreaterThan(0);
    for (const rec of a.recommendations) expect(rec.evidence).toMatch(/\d/);
    expect(md).toContain('## Performance analysis');
    // A console for people: no raw JSON log line on stderr, the load worker's expected "no workflows" warning among them.
    expect(jsonLines(r.stderr)).toEqual([]);
    expect(r.stderr).not.toContain('No workflows registered');

    // The seed-shaped report.md: executive summary, blockers with remediation, category scores, checklist.
    for (const heading of [
      '## Executive summary',
      '### Blockers',
      '## Category scores',
      '## Baseline load',
      '## Capacity (progressive stress)',
      '## Backup and recovery drills',
      '## Checklist',
    ]) {
      expect(md).toContain(heading);
    }
    expect(md).toContain('| Performance |');
    // report.html in real headless Chromium: every chart drawn offline, the breaking point marked; screenshot kept.
    const browser = await launchChromium();
    try {
      const page = await openReport(
        browser,
        path.join(last.reportDir, 'report.html'),
        path.join(__dirname, '..', '..', 'test-results', 'demo-report.png'),
      );
      expect(page.problems).toEqual([]);
      expect(page.requests).toEqual([page.url]);
      expect(page.canvases.map((c) => c.id)).toEqual(
        expect.arrayContaining(['chart-capacity', 'chart-timeline', 'chart-stress-timeline', 'chart-categories']),
      );
      expect(page.rendered).toBe(page.canvases.length);
      for (const c of page.canvases)
        expect({ id: c.id, drawn: c.differsFromBlank && c.painted > 0 }).toEqual({ id: c.id, drawn: true });
      expect(
        await page.evaluate(
          `Chart.getChart('chart-capacity').data.datasets.some((d) => d.label.startsWith('Breaking point'))`,
        ),
      ).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
