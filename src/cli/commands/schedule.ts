/**
 * `readiness schedule ...`: scheduled re-validation on Temporal Schedules. A schedule starts the campaign
 * workflow (the same input, memo and search attributes as `readiness start`) on a cron spec in a time zone,
 * skips a run while the previous one is still going (overlap policy SKIP) and catches up missed runs only
 * within an explicit window. The campaign file is validated and frozen into the schedule at creation: it
 * holds env references only, which the worker resolves for each run.
 */
import path from 'node:path';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleExecutionResult,
  type ScheduleHandle,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Campaign } from '../../config/schema';
import { loadCampaign } from '../../config/load';
import { uploadDataTables } from '../data-upload';
import { formatDurationMs, parseDurationMs } from '../../core/duration';
import { EXIT } from '../../core/exit-codes';
import {
  CAMPAIGN_WORKFLOW,
  chosenIdProblem,
  defaultScheduleId,
  SA_PHASE,
  SA_SCORE,
  SA_VERDICT,
  scheduledWorkflowIdPrefix,
} from '../../core/names';
import type { CampaignResult } from '../../core/types';
import type { readinessCampaignWorkflow } from '../../workflows';
import { campaignStartOptions } from '../campaign-runner';
import { withClient, type ConnectionFlags } from '../connect';
import { CliExit } from '../errors';

/** Catch-up window used when `--catchup-window` is not given: a run missed by more than this is skipped. */
const DEFAULT_CATCHUP_WINDOW = '1h';

/** The shortest catch-up window Temporal honours (the server raises anything smaller to 10 s). */
const MIN_CATCHUP_WINDOW_MS = 10_000;

/** How many upcoming run times `schedule describe` shows. */
const NEXT_RUNS = 5;

/** Flags of `readiness schedule create`. */
export interface ScheduleCreateFlags extends ConnectionFlags {
  cron: string;
  timezone?: string;
  id?: string;
  catchupWindow?: string;
  json?: boolean;
}

/** What a readiness schedule keeps in its own memo, so `list` and `describe` can show it as it was given. */
interface ScheduleMemo {
  campaign: string;
  owner: string;
  configHash: string;
  cron: string;
  timezone: string;
  source: string;
}

/**
 * Checks an IANA time zone with Intl and returns its canonical spelling (`europe/paris` -> `Europe/Paris`:
 * the server's zone lookup is case-sensitive). Throws CliExit (exit 2) for anything Intl does not know.
 */
function canonicalTimezone(tz: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw new CliExit(
      EXIT.INVALID_INPUT,
      `error: --timezone "${tz}" is not a known IANA time zone (e.g. UTC, Europe/Paris, America/New_York)`,
    );
  }
}

/**
 * First-line checks of a cron string; the server parses it fully at creation and its complaint is
 * reported the same way. The zone goes in --timezone, never in the string (`CRON_TZ=` / `TZ=`).
 */
function checkCron(cron: string): string {
  const text = cron.trim();
  if (!text) throw new CliExit(EXIT.INVALID_INPUT, 'error: --cron is empty; give a cron string such as "0 6 * * MON"');
  if (/^(CRON_)?TZ=/i.test(text))
    throw new CliExit(EXIT.INVALID_INPUT, `error: --cron "${cron}" names a time zone; put it in --timezone instead`);
  const fields = text.split(/\s+/).length;
  if (!text.startsWith('@') && (fields < 5 || fields > 7)) {
    throw new CliExit(
      EXIT.INVALID_INPUT,
      `error: --cron "${cron}" is not a cron string: expected 5 fields (minute hour day-of-month month day-of-week), got ${fields}`,
    );
  }
  return text;
}

/** Parses `--catchup-window` (a campaign duration such as `1h`, at least 10s) into milliseconds. */
function parseCatchupWindow(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < MIN_CATCHUP_WINDOW_MS) {
    throw new CliExit(
      EXIT.INVALID_INPUT,
      `error: --catchup-window "${text}" must be a duration of at least 10s (e.g. 30m, 1h, 1d)`,
    );
  }
  return ms;
}

/**
 * Builds the Temporal schedule of a validated campaign: a startWorkflow action with the same input,
 * memo and search attributes as `readiness start`, overlap SKIP and the given catch-up window.
 * The checklist is resolved now, so every run of the schedule scores the same items.
 */
export function buildScheduleOptions(
  campaign: Campaign,
  opts: {
    scheduleId: string;
    cron: string;
    timezone: string;
    catchupWindowMs: number;
    source: string;
    taskQueue?: string;
  },
): ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof readinessCampaignWorkflow>> {
  const workflowId = scheduledWorkflowIdPrefix(opts.scheduleId);
  const start = campaignStartOptions(campaign, workflowId, opts.taskQueue);
  const memo: ScheduleMemo = { ...start.memo, cron: opts.cron, timezone: opts.timezone, source: opts.source };
  return {
    scheduleId: opts.scheduleId,
    spec: { cronExpressions: [opts.cron], timezone: opts.timezone },
    // The same input, search attributes, memo, summary and details as `readiness start`.
    action: { type: 'startWorkflow', workflowType: CAMPAIGN_WORKFLOW, workflowId, ...start },
    policies: { overlap: 'SKIP', catchupWindow: opts.catchupWindowMs },
    memo: { ...memo },
  };
}

/**
 * Formats an instant as ISO 8601 local time with its offset in `timeZone`
 * (`2026-01-05T06:00:00+01:00`), so run times read as the schedule's wall clock.
 */
function formatInZone(date: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  const wallMs = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const offsetMin = Math.round((wallMs - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

function memoOf(memo: Record<string, unknown> | undefined): Partial<ScheduleMemo> {
  return (memo ?? {}) as Partial<ScheduleMemo>;
}

/** Runs `fn` on a schedule handle, turning "not found" into exit 2 with the id. */
async function onSchedule<T>(
  client: Client,
  scheduleId: string,
  fn: (handle: ScheduleHandle) => Promise<T>,
): Promise<T> {
  try {
    return await fn(client.schedule.getHandle(scheduleId));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) {
      throw new CliExit(
        EXIT.INVALID_INPUT,
        `error: no schedule with id "${scheduleId}" (list them with \`readiness schedule list\`)`,
      );
    }
    throw err;
  }
}

/**
 * `readiness schedule create <file> --cron CRON [--timezone TZ] [--id ID] [--catchup-window 1h]`:
 * validates the file (nothing is created when invalid), then creates the schedule and prints its id and
 * next run times. An id already in use is refused (exit 2).
 */
export async function scheduleCreateCommand(file: string, flags: ScheduleCreateFlags): Promise<void> {
  const { campaign, tables } = await loadCampaign(file);
  const cron = checkCron(flags.cron);
  const timezone = canonicalTimezone(flags.timezone ?? 'UTC');
  const catchupWindowMs = parseCatchupWindow(flags.catchupWindow ?? DEFAULT_CATCHUP_WINDOW);
  const scheduleId = flags.id ?? defaultScheduleId(campaign.name);
  const idProblem = chosenIdProblem(scheduleId);
  if (idProblem) throw new CliExit(EXIT.INVALID_INPUT, `error: --id ${idProblem}`);
  const options = buildScheduleOptions(campaign, {
    scheduleId,
    cron,
    timezone,
    catchupWindowMs,
    source: path.resolve(file),
  });
  await withClient(flags, async (client, endpoints) => {
    await uploadDataTables(endpoints.databaseUrl, tables);
    let handle: ScheduleHandle;
    try {
      handle = await client.schedule.create<typeof readinessCampaignWorkflow>(options);
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning) {
        throw new CliExit(
          EXIT.INVALID_INPUT,
          `error: schedule "${scheduleId}" already exists; pick another --id, or \`readiness schedule delete ${scheduleId}\` first`,
        );
      }
      // The client turns the server's "Invalid schedule spec" into a TypeError carrying its reason.
      if (err instanceof TypeError)
        throw new CliExit(
          EXIT.INVALID_INPUT,
          `error: invalid schedule spec (--cron "${cron}", --timezone ${timezone}): ${err.message}`,
        );
      throw err;
    }
    const desc = await handle.describe();
    const next = desc.info.nextActionTimes.slice(0, NEXT_RUNS);
    const url = `${endpoints.uiUrl}/namespaces/${encodeURIComponent(endpoints.namespace)}/schedules/${encodeURIComponent(scheduleId)}`;
    process.stderr.write(
      `created schedule ${scheduleId}: campaign "${campaign.name}" at "${cron}" (${timezone}), overlap SKIP, catch-up window ${formatDurationMs(catchupWindowMs)}\n` +
        `runs are started as ${options.action.workflowId}-<scheduled time>\nnext run: ${next[0] ? formatInZone(next[0], timezone) : 'none'}\nWeb UI: ${url}\n`,
    );
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ scheduleId, campaign: campaign.name, cron, timezone, catchupWindow: formatDurationMs(catchupWindowMs), workflowIdPrefix: options.action.workflowId, nextRuns: next.map((d) => d.toISOString()), url })}\n`,
      );
    } else process.stdout.write(`${scheduleId}\n`);
  });
}

/** One row of `readiness schedule list`. */
export interface ScheduleListRow {
  scheduleId: string;
  campaign: string;
  cron: string;
  timezone: string;
  paused: boolean;
  nextRun: string | null;
}

/**
 * `readiness schedule list [--json]`: the namespace's readiness schedules (those starting the campaign
 * workflow) with campaign, cron, zone, paused and next run. Listing goes through visibility, so a schedule
 * created a moment ago may take a second to appear.
 */
export async function scheduleListCommand(flags: ConnectionFlags & { json?: boolean }): Promise<void> {
  await withClient(flags, async (client) => {
    const rows: ScheduleListRow[] = [];
    for await (const s of client.schedule.list()) {
      if (s.action?.workflowType !== CAMPAIGN_WORKFLOW) continue;
      const memo = memoOf(s.memo);
      const timezone = memo.timezone ?? s.spec?.timezone ?? 'UTC';
      const next = s.info.nextActionTimes[0];
      rows.push({
        scheduleId: s.scheduleId,
        campaign: memo.campaign ?? '?',
        cron: memo.cron ?? '?',
        timezone,
        paused: s.state.paused,
        nextRun: next ? formatInZone(next, timezone) : null,
      });
    }
    rows.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
    if (flags.json) return void process.stdout.write(`${JSON.stringify(rows)}\n`);
    if (!rows.length)
      return void process.stdout.write(
        'no readiness schedules (create one with `readiness schedule create <campaign.yaml> --cron "0 6 * * MON"`)\n',
      );
    const header = ['ID', 'CAMPAIGN', 'CRON', 'TIMEZONE', 'PAUSED', 'NEXT RUN'];
    const table = [
      header,
      ...rows.map((r) => [r.scheduleId, r.campaign, r.cron, r.timezone, r.paused ? 'yes' : 'no', r.nextRun ?? '-']),
    ];
    const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
    for (const row of table)
      process.stdout.write(
        `${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}\n`,
      );
  });
}

/** One recent run of a schedule, as `schedule describe` shows it. */
export interface ScheduledRun {
  workflowId: string;
  runId: string;
  scheduledAt: string;
  startedAt: string;
  status: string;
  phase?: string;
  decision?: string;
  scorePct?: number;
  closedAt?: string;
}

/**
 * Looks up one run started by a schedule: its status and, once completed, its decision and score from the
 * ReadinessVerdict / ReadinessScore search attributes (the workflow's result when they are missing).
 */
async function scheduledRun(client: Client, action: ScheduleExecutionResult): Promise<ScheduledRun> {
  const { workflowId, firstExecutionRunId } = action.action.workflow;
  const run: ScheduledRun = {
    workflowId,
    runId: firstExecutionRunId,
    scheduledAt: action.scheduledAt.toISOString(),
    startedAt: action.takenAt.toISOString(),
    status: 'UNKNOWN',
  };
  try {
    const handle = client.workflow.getHandle(workflowId, firstExecutionRunId);
    const desc = await handle.describe();
    run.status = desc.status.name;
    run.startedAt = desc.startTime.toISOString();
    if (desc.closeTime) run.closedAt = desc.closeTime.toISOString();
    const phase = desc.typedSearchAttributes.get(SA_PHASE);
    if (phase) run.phase = phase;
    const decision = desc.typedSearchAttributes.get(SA_VERDICT);
    const score = desc.typedSearchAttributes.get(SA_SCORE);
    if (decision) run.decision = decision;
    if (score !== undefined) run.scorePct = score;
    if (run.status === 'COMPLETED' && !decision) {
      const result = (await handle.result()) as CampaignResult;
      run.decision = result.decision;
      run.scorePct = result.scorePct;
    }
  } catch (err) {
    // A run deleted by retention leaves the schedule's recent actions before it leaves the list.
    if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) run.status = 'NOT_FOUND';
    else throw err;
  }
  return run;
}

/** The parts of a schedule's description that `describe --json` prints. */
function describeJson(desc: ScheduleDescription, runs: ScheduledRun[]) {
  const memo = memoOf(desc.memo);
  const timezone = memo.timezone ?? desc.spec.timezone ?? 'UTC';
  return {
    scheduleId: desc.scheduleId,
    campaign: memo.campaign ?? null,
    owner: memo.owner || null,
    configHash: memo.configHash ?? null,
    source: memo.source ?? null,
    spec: { cron: memo.cron ?? null, timezone },
    workflowIdPrefix: desc.action.workflowId,
    policies: { overlap: desc.policies.overlap, catchupWindow: formatDurationMs(desc.policies.catchupWindow) },
    state: { paused: desc.state.paused, note: desc.state.note ?? null },
    nextRuns: desc.info.nextActionTimes
      .slice(0, NEXT_RUNS)
      .map((d) => ({ at: d.toISOString(), local: formatInZone(d, timezone) })),
    actionsTaken: desc.info.numActionsTaken,
    skippedOverlap: desc.info.numActionsSkippedOverlap,
    missedCatchupWindow: desc.info.numActionsMissedCatchupWindow,
    recentRuns: runs,
  };
}

/**
 * `readiness schedule describe <id> [--json]`: spec, policies, state (paused and note), the next 5 run
 * times in the schedule's zone, and the recent runs (newest first) with the decision and score of each
 * completed one. An unknown id exits 2.
 */
export async function scheduleDescribeCommand(
  scheduleId: string,
  flags: ConnectionFlags & { json?: boolean },
): Promise<void> {
  await withClient(flags, async (client) => {
    const desc = await onSchedule(client, scheduleId, (h) => h.describe());
    const runs = await Promise.all([...desc.info.recentActions].reverse().map((a) => scheduledRun(client, a)));
    const out = describeJson(desc, runs);
    if (flags.json) return void process.stdout.write(`${JSON.stringify(out)}\n`);
    const lines = [
      `schedule ${out.scheduleId}`,
      `  campaign:  ${out.campaign ?? '?'}${out.owner ? ` (owner ${out.owner})` : ''}${out.configHash ? `, config ${out.configHash.slice(0, 12)}` : ''}`,
      ...(out.source ? [`  source:    ${out.source}`] : []),
      `  cron:      ${out.spec.cron ?? '?'} (${out.spec.timezone})`,
      `  policies:  overlap ${out.policies.overlap}, catch-up window ${out.policies.catchupWindow}`,
      `  state:     ${out.state.paused ? 'PAUSED' : 'active'}${out.state.note ? ` (note: ${out.state.note})` : ''}`,
      `  runs:      ${out.actionsTaken} started, ${out.skippedOverlap} skipped (overlap), ${out.missedCatchupWindow} missed (catch-up window); ids ${out.workflowIdPrefix}-<scheduled time>`,
      `  next runs:${out.nextRuns.length ? '' : ' none'}`,
      ...out.nextRuns.map((n) => `    ${n.local}`),
      `  recent runs:${runs.length ? '' : ' none yet'}`,
      ...runs.map(
        (r) =>
          `    ${r.workflowId}  started ${formatInZone(new Date(r.startedAt), out.spec.timezone)}  ${r.status}` +
          (r.decision
            ? ` ${r.decision}${r.scorePct !== undefined ? ` (score ${r.scorePct}%)` : ''}`
            : r.status === 'RUNNING' && r.phase
              ? ` (${r.phase})`
              : ''),
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

/** `readiness schedule pause <id> [--note TEXT]`: no new runs start until it is resumed; a running one goes on. */
export async function schedulePauseCommand(
  scheduleId: string,
  flags: ConnectionFlags & { note?: string },
): Promise<void> {
  await withClient(flags, async (client) => {
    await onSchedule(client, scheduleId, (h) => h.pause(flags.note ?? 'paused with `readiness schedule pause`'));
    process.stdout.write(`paused schedule ${scheduleId}\n`);
  });
}

/** `readiness schedule resume <id> [--note TEXT]`: runs start again from the next scheduled time. */
export async function scheduleResumeCommand(
  scheduleId: string,
  flags: ConnectionFlags & { note?: string },
): Promise<void> {
  await withClient(flags, async (client) => {
    await onSchedule(client, scheduleId, (h) => h.unpause(flags.note ?? 'resumed with `readiness schedule resume`'));
    process.stdout.write(`resumed schedule ${scheduleId}\n`);
  });
}

/**
 * `readiness schedule trigger <id> [--json]`: starts a run now under the schedule's own overlap policy
 * (with SKIP, nothing starts while a run is going). Waits a few seconds to print the started run's id.
 */
export async function scheduleTriggerCommand(
  scheduleId: string,
  flags: ConnectionFlags & { json?: boolean },
): Promise<void> {
  await withClient(flags, async (client) => {
    const before = await onSchedule(client, scheduleId, (h) => h.describe());
    const handle = client.schedule.getHandle(scheduleId);
    const known = new Set(before.info.recentActions.map((a) => a.action.workflow.workflowId));
    await onSchedule(client, scheduleId, (h) => h.trigger(before.policies.overlap));
    let started: string | undefined;
    let skipped = false;
    for (const until = Date.now() + 10_000; Date.now() < until && !started && !skipped;) {
      await new Promise((r) => setTimeout(r, 250));
      const now = await handle.describe();
      started = now.info.recentActions.map((a) => a.action.workflow.workflowId).find((id) => !known.has(id));
      skipped = now.info.numActionsSkippedOverlap > before.info.numActionsSkippedOverlap;
    }
    if (flags.json)
      return void process.stdout.write(`${JSON.stringify({ scheduleId, workflowId: started ?? null, skipped })}\n`);
    if (started) process.stdout.write(`${started}\n`);
    else if (skipped)
      process.stdout.write(
        `triggered ${scheduleId}, but the run was skipped: a previous run is still going (overlap policy ${before.policies.overlap})\n`,
      );
    else
      process.stdout.write(
        `triggered ${scheduleId}; the run has not shown up yet (see \`readiness schedule describe ${scheduleId}\`)\n`,
      );
  });
}

/** `readiness schedule delete <id>`: removes the schedule; runs it already started are left alone. */
export async function scheduleDeleteCommand(scheduleId: string, flags: ConnectionFlags): Promise<void> {
  await withClient(flags, async (client) => {
    await onSchedule(client, scheduleId, (h) => h.delete());
    process.stdout.write(`deleted schedule ${scheduleId}\n`);
  });
}
