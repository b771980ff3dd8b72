/**
 * The checklist through the CLI, as release managers use it: a running campaign waits for manual items;
 * attest and waive (workflow updates) are validated and change its verdict; rescore recomputes it from
 * the store; the next campaign of the same target is compared with it and its planted regression is
 * flagged; history lists both. Real worker process, dev server, Postgres and HTTP target.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { reportSchema } from '../../src/report/schema';
import { runCli, spawnWorker, stopWorker } from '../helpers/cli';
import { testEnv, uid } from '../helpers/env';
import { startTarget } from '../helpers/target';

let dir: string;
let env: NodeJS.ProcessEnv;
let worker: ChildProcess;

beforeAll(async () => {
  dir = mkdtempSync(path.join(testEnv.dir, 'checklist-'));
  env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_REPORT_DIR: path.join(dir, 'reports'),
    READINESS_LOG_LEVEL: 'warn',
  };
  worker = await spawnWorker(env);
});

afterAll(async () => {
  await stopWorker(worker);
});

function campaignFile(baseUrl: string, deadline: string): string {
  const name = `checklist-${uid()}`;
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
  thresholds: ["p(95)<500"]
checklist:
  defaults: false
  attestationDeadline: ${deadline}
  items:
    - { id: perf.smoke, title: Smoke test passes, category: Performance, severity: P1, weight: 2, automated: { check: baseline.smoke } }
    - { id: perf.smoke-p95, title: Smoke p95 under 100 ms, category: Performance, severity: P2, automated: { expr: "baseline.phases[smoke].latencyMs.p95 < 100" } }
    - { id: ops.on-call, title: On-call rotation defined, category: Operations, severity: P1, manual: true }
    - { id: doc.runbook, title: Deployment runbook complete, category: Documentation, severity: P2, manual: true }
`,
  );
  return file;
}

const cli = (args: string[]) => runCli([...args, '--data-dir', dir], env);

async function waitFor(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('when people attest and waive the manual items of a running campaign, then it goes on and its verdict, rescore, comparison and history follow', async () => {
  let delayMs = 5;
  const target = await startTarget((_req, res) => setTimeout(() => res.writeHead(200).end('ok'), delayMs));
  try {
    // 1. A campaign that waits up to 10 minutes for its two manual items.
    const first = `checklist-a-${uid()}`;
    expect((await cli(['start', campaignFile(target.url, '10m'), '--id', first])).code).toBe(0);
    await waitFor(async () => (await cli(['status', first])).stdout.includes('waiting for the rest until'));
    const status = await cli(['status', first]);
    expect(status.stdout).toContain('checklist: 0 of 2 manual items attested or waived');
    expect(status.stdout).toContain('missing: ops.on-call, doc.runbook');

    // Rejected by the workflow's validators, with a message that says why; nothing changes.
    const unknown = await cli(['attest', first, 'no.such-item', '--by', 'alice']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown checklist item "no.such-item"');
    const automated = await cli(['attest', first, 'perf.smoke', '--by', 'alice']);
    expect(automated.code).toBe(2);
    expect(automated.stderr).toContain('checklist item "perf.smoke" is automated');
    const expired = await cli([
      'waive',
      first,
      'doc.runbook',
      '--by',
      'bob',
      '--reason',
      'later',
      '--expires',
      '2020-01-01',
    ]);
    expect(expired.code).toBe(2);
    expect(expired.stderr).toContain('is not in the future');

    const attest = await cli([
      'attest',
      first,
      'ops.on-call',
      '--by',
      'alice',
      '--evidence',
      'https://wiki.example/oncall',
    ]);
    expect(attest.code).toBe(0);
    expect(attest.stdout).toContain('1 manual item(s) still missing: doc.runbook');
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const waive = await cli([
      'waive',
      first,
      'doc.runbook',
      '--by',
      'bob',
      '--reason',
      'written next sprint',
      '--expires',
      expires,
    ]);
    expect(waive.code).toBe(0);
    expect(waive.stdout).toContain('every manual item is attested or waived');

    // The last missing item closed: the campaign stops waiting and scores: 2 + 1 + 1 of 4 points, the waiver out.
    let result: { decision: string; scorePct: number; reportDir: string } | undefined;
    await waitFor(async () => {
      const s = await cli(['status', first, '--json']);
      const parsed = JSON.parse(s.stdout);
      result = parsed.result;
      return parsed.state === 'COMPLETED';
    });
    expect(result).toMatchObject({ decision: 'GO', scorePct: 100 });
    const closed = await cli(['attest', first, 'ops.on-call', '--by', 'alice']);
    expect(closed.code).toBe(2);
    expect(closed.stderr).toContain('is closed (COMPLETED)');
    const rescore = await cli(['rescore', first]);
    expect(rescore.code).toBe(0);
    expect(rescore.stdout).toContain('matches the stored verdict');
    const md = readFileSync(path.join(result!.reportDir, 'report.md'), 'utf8');
    expect(md).toContain('## Executive summary');
    expect(md).toMatch(/\| Documentation \| n\/a \(0\/0\) \| ⚪ Waived \|/);
    expect(md).toContain('`doc.runbook` waived by bob until');
    const firstJson = JSON.parse(readFileSync(path.join(result!.reportDir, 'report.json'), 'utf8'));
    expect(firstJson.checklist.items.find((i: { id: string }) => i.id === 'ops.on-call')).toMatchObject({
      status: 'pass',
      attestation: { by: 'alice', evidence: 'https://wiki.example/oncall' },
    });
    expect(firstJson.comparison).toBeUndefined();
    // report.json is what its published schema says it is.
    expect(reportSchema.safeParse(firstJson).error).toBeUndefined();

    // 2. The same target a release later: slower (a planted p95 regression), no one attests, no waiting.
    delayMs = 150;
    const second = `checklist-b-${uid()}`;
    const run = await cli(['start', campaignFile(target.url, '0s'), '--id', second, '--wait', '--json']);
    expect(run.code).toBe(3);
    const last = JSON.parse(run.stdout.trim().split('\n').pop()!);
    const report = JSON.parse(readFileSync(path.join(last.reportDir, 'report.json'), 'utf8'));
    expect(report.verdict.blockers[0]).toMatch(/^P1 ops\.on-call \(On-call rotation defined\): not_run; not attested/);
    expect(report.comparison.previous).toMatchObject({ id: first, decision: 'GO', scorePct: 100 });
    expect(report.comparison.regressed.map((r: { id: string }) => r.id).sort()).toEqual([
      'doc.runbook',
      'ops.on-call',
      'perf.smoke-p95',
    ]);
    const p95 = report.comparison.metrics.find((m: { metric: string }) => m.metric === 'baseline.smoke.p95Ms');
    expect(p95.regression).toBe(true);
    expect(p95.changePct).toBeGreaterThan(100);
    expect(report.comparison.findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^baseline\.smoke\.p95Ms regressed \+\d/),
        'checklist item perf.smoke-p95 regressed: pass -> fail',
      ]),
    );
    expect(readFileSync(path.join(last.reportDir, 'report.md'), 'utf8')).toContain('## Since the previous campaign');
    expect(reportSchema.safeParse(report).error).toBeUndefined();

    const history = await cli(['history', target.url]);
    expect(history.code).toBe(0);
    const lines = history.stdout.trim().split('\n').slice(2);
    expect(lines.map((l) => l.split('|')[2]!.trim())).toEqual([second, first]);
    expect(lines[0]).toContain('| NO_GO |');
    expect(lines[1]).toContain('| GO | 100% |');
  } finally {
    await target.close();
  }
}, 180_000);
