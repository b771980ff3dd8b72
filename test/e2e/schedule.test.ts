/**
 * `readiness schedule ...` as an operator uses it, on the real dev server (the time-skipping server has no
 * schedules): create from a campaign file, list and describe it (next runs in its zone), pause and resume
 * with notes, trigger a run that a real worker process takes to a verdict, refuse invalid input and taken
 * ids without creating anything, and delete. Every schedule created here is deleted, even on failure.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runCli, spawnWorker, stopWorker } from '../helpers/cli';
import { testEnv, uid } from '../helpers/env';
import { delayed, startTarget } from '../helpers/target';

let dir: string;
let env: NodeJS.ProcessEnv;
let target: Awaited<ReturnType<typeof startTarget>>;
const created = new Set<string>();

beforeAll(async () => {
  dir = mkdtempSync(path.join(testEnv.dir, 'schedule-'));
  // --data-dir points at an empty dir so no local `readiness dev` state is picked up.
  env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_REPORT_DIR: path.join(dir, 'reports'),
    READINESS_LOG_LEVEL: 'warn',
  };
  target = await startTarget(delayed(2));
});

afterAll(async () => {
  for (const id of created) await cli(['schedule', 'delete', id]).catch(() => undefined);
  await target?.close();
});

const cli = (args: string[]) => runCli([...args, '--data-dir', dir], env);

/** A campaign that ends GO: one 2 s baseline phase on a fast target, one automated checklist item. */
function campaignFile(name = `sched-${uid()}`, extra = ''): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: readiness/v1
name: ${name}
target: { baseUrl: "${target.url}" }
scenario:
  thinkTime: 10ms
  requests: [{ name: get, method: GET, path: /x }]
baseline:
  phases: [{ name: smoke, users: ${extra === 'invalid' ? -3 : 3}, duration: 2s }]
  thresholds: ["p(95)<500", "error_rate<0.01"]
checklist:
  defaults: false
  items:
    - { id: perf.smoke, title: Smoke, category: Performance, severity: P1, automated: { check: baseline.smoke } }
`,
  );
  return file;
}

async function create(args: string[]) {
  const r = await cli(['schedule', 'create', ...args]);
  const i = args.indexOf('--id');
  if (r.code === 0 && i >= 0) created.add(args[i + 1]);
  return r;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface Described {
  spec: { cron: string; timezone: string };
  policies: { overlap: string; catchupWindow: string };
  state: { paused: boolean; note: string | null };
  nextRuns: Array<{ at: string; local: string }>;
  recentRuns: Array<{ workflowId: string; status: string; startedAt: string; decision?: string; scorePct?: number }>;
}

async function describe(id: string): Promise<Described> {
  const r = await cli(['schedule', 'describe', id, '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Described;
}

const weekday = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short' }).format(new Date(iso));

test('when a campaign is scheduled, then list and describe show it, pause and resume change its state, a trigger runs it to a verdict, and delete removes it', async () => {
  const id = `readiness-sched-${uid()}`;
  const c = await create([campaignFile(), '--cron', '0 6 * * MON', '--timezone', 'Europe/Paris', '--id', id, '--json']);
  expect(c.code).toBe(0);
  expect(JSON.parse(c.stdout)).toMatchObject({
    scheduleId: id,
    cron: '0 6 * * MON',
    timezone: 'Europe/Paris',
    catchupWindow: '1h',
    workflowIdPrefix: `${id}-scheduled`,
  });

  // Listing goes through visibility: the new schedule shows up within a moment.
  const row = await waitFor('the schedule in `schedule list`', async () => {
    const l = await cli(['schedule', 'list', '--json']);
    expect(l.code).toBe(0);
    return (JSON.parse(l.stdout) as Array<{ scheduleId: string }>).find((s) => s.scheduleId === id);
  });
  expect(row).toMatchObject({
    scheduleId: id,
    cron: '0 6 * * MON',
    timezone: 'Europe/Paris',
    paused: false,
    nextRun: expect.stringMatching(/T06:00:00\+0[12]:00$/),
  });
  expect((await cli(['schedule', 'list'])).stdout).toMatch(
    new RegExp(`${id} +sched-\\S+ +0 6 \\* \\* MON +Europe/Paris +no +`),
  );

  // Next runs: five, in the future, Mondays at 06:00 Paris time, spelled in that zone.
  const d = await describe(id);
  expect(d.spec).toEqual({ cron: '0 6 * * MON', timezone: 'Europe/Paris' });
  expect(d.policies).toEqual({ overlap: 'SKIP', catchupWindow: '1h' });
  expect(d.state.paused).toBe(false);
  expect(d.recentRuns).toEqual([]);
  expect(d.nextRuns).toHaveLength(5);
  for (const n of d.nextRuns) {
    expect(Date.parse(n.at)).toBeGreaterThan(Date.now());
    expect(Date.parse(n.local)).toBe(Date.parse(n.at));
    expect(n.local).toMatch(/T06:00:00\+0[12]:00$/);
    expect(weekday(n.at, 'Europe/Paris')).toBe('Mon');
  }
  const text = await cli(['schedule', 'describe', id]);
  expect(text.stdout).toContain('cron:      0 6 * * MON (Europe/Paris)');
  expect(text.stdout).toContain('policies:  overlap SKIP, catch-up window 1h');

  // Pause and resume, each with a note describe shows.
  expect((await cli(['schedule', 'pause', id, '--note', 'release freeze'])).code).toBe(0);
  expect((await describe(id)).state).toEqual({ paused: true, note: 'release freeze' });
  expect((await cli(['schedule', 'describe', id])).stdout).toContain('state:     PAUSED (note: release freeze)');
  expect((await cli(['schedule', 'resume', id, '--note', 'freeze over'])).code).toBe(0);
  expect((await describe(id)).state).toEqual({ paused: false, note: 'freeze over' });

  // A trigger starts a normal campaign now; a worker process takes it to its verdict.
  let worker: (ChildProcess & { logs: () => string }) | undefined;
  try {
    worker = await spawnWorker(env);
    // The test server's namespace keeps closed workflows 24 h; this schedule runs weekly: the worker says so.
    const w = worker;
    const warned = await waitFor(
      'the retention warning',
      async () => w.logs().match(/keeps closed workflows for 1d, less than schedule \S+ interval \(7d\)/)?.[0],
      15_000,
    );
    expect(warned).toBeDefined();
    const t = await cli(['schedule', 'trigger', id, '--json']);
    expect(t.code).toBe(0);
    const triggered = JSON.parse(t.stdout) as { workflowId: string; skipped: boolean };
    expect(triggered.skipped).toBe(false);
    expect(triggered.workflowId).toMatch(new RegExp(`^${id}-scheduled-\\d{4}-\\d{2}-\\d{2}T`));
    const run = await waitFor(
      'the triggered run to complete',
      async () => {
        const r = (await describe(id)).recentRuns.find((x) => x.workflowId === triggered.workflowId);
        return r && r.status !== 'RUNNING' ? r : undefined;
      },
      90_000,
    );
    expect(run).toMatchObject({ workflowId: triggered.workflowId, status: 'COMPLETED', decision: 'GO', scorePct: 100 });
    expect((await cli(['schedule', 'describe', id])).stdout).toMatch(
      new RegExp(`${triggered.workflowId} {2}started \\S+ {2}COMPLETED GO \\(score 100%\\)`),
    );
    // The run is an ordinary campaign: `status` knows it by its workflow id.
    const status = await cli(['status', triggered.workflowId]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`${triggered.workflowId}: COMPLETED GO (score 100%)`);

    // The next run is its own campaign (its workflow id is its campaign id), compared with this one.
    const second = JSON.parse((await cli(['schedule', 'trigger', id, '--json'])).stdout) as { workflowId: string };
    expect(second.workflowId).not.toBe(triggered.workflowId);
    await waitFor(
      'the second run to complete',
      async () => {
        const r = (await describe(id)).recentRuns.find((x) => x.workflowId === second.workflowId);
        return r && r.status !== 'RUNNING' ? r : undefined;
      },
      90_000,
    );
    const report = JSON.parse((await cli(['report', second.workflowId, '--format', 'json'])).stdout);
    expect(report.campaign.id).toBe(second.workflowId);
    expect(report.comparison.previous).toMatchObject({ id: triggered.workflowId, decision: 'GO', scorePct: 100 });
    const first = JSON.parse((await cli(['report', triggered.workflowId, '--format', 'json'])).stdout);
    expect(first.campaign.id).toBe(triggered.workflowId);
  } finally {
    if (worker) await stopWorker(worker);
  }

  // Delete: gone for every command.
  const del = await cli(['schedule', 'delete', id]);
  expect(del.code).toBe(0);
  created.delete(id);
  for (const args of [
    ['describe', id],
    ['pause', id],
    ['resume', id],
    ['trigger', id],
    ['delete', id],
  ]) {
    const r = await cli(['schedule', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no schedule with id "${id}"`);
  }
});

test('when the cron string, the time zone or the file is invalid, then create exits 2 and nothing is created', async () => {
  const cases: Array<[string[], string]> = [
    [[campaignFile(), '--cron', '0 6 * * FOO'], 'invalid schedule spec (--cron "0 6 * * FOO", --timezone UTC)'],
    [[campaignFile(), '--cron', '0 61 * * MON'], 'invalid schedule spec'],
    [[campaignFile(), '--cron', 'every monday'], '--cron "every monday" is not a cron string'],
    [
      [campaignFile(), '--cron', '0 6 * * MON', '--timezone', 'Mars/Olympus_Mons'],
      '--timezone "Mars/Olympus_Mons" is not a known IANA time zone',
    ],
    [
      [campaignFile(), '--cron', '0 6 * * MON', '--catchup-window', '1s'],
      '--catchup-window "1s" must be a duration of at least 10s',
    ],
    [
      [campaignFile(`sched-${uid()}`, 'invalid'), '--cron', '0 6 * * MON'],
      'baseline.phases[0].users: users must be at least 1',
    ],
  ];
  for (const [args, message] of cases) {
    const id = `readiness-bad-${uid()}`;
    const r = await create([...args, '--id', id]);
    expect({ args, code: r.code }).toEqual({ args, code: 2 });
    expect(r.stderr).toContain(message);
    const d = await cli(['schedule', 'describe', id]);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain(`no schedule with id "${id}"`);
  }
});

test('when the schedule id is taken, then create exits 2 and the existing schedule is unchanged', async () => {
  const name = `sched-${uid()}`;
  const file = campaignFile(name);
  const first = await cli(['schedule', 'create', file, '--cron', '0 6 * * MON']);
  const id = `readiness-${name}`;
  if (first.code === 0) created.add(id);
  expect(first.code).toBe(0);
  expect(first.stdout.trim()).toBe(id);

  const again = await create([file, '--cron', '30 7 * * FRI', '--timezone', 'America/New_York', '--id', id]);
  expect(again.code).toBe(2);
  expect(again.stderr).toContain(`schedule "${id}" already exists`);
  const d = await describe(id);
  expect(d.spec).toEqual({ cron: '0 6 * * MON', timezone: 'UTC' });
  expect(d.nextRuns[0].local).toMatch(/T06:00:00\+00:00$/);
});
