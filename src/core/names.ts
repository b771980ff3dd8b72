import { defineSearchAttributeKey } from '@temporalio/common';

/** The task queue every readiness worker polls and every campaign is started on. */
export const TASK_QUEUE = 'readiness';

/**
 * The task queue load generators poll, derived from the campaign's queue (`readiness` -> `readiness-load`).
 * `readiness worker --load` processes serve only this queue, so load can be spread over hosts.
 */
export const loadTaskQueue = (taskQueue: string): string => `${taskQueue}-load`;

/** The name the campaign workflow is registered under. */
export const CAMPAIGN_WORKFLOW = 'readinessCampaignWorkflow';

/** Search attribute: the phase the campaign is in (`baseline`, `stress`, ..., `done`). */
export const SA_PHASE = defineSearchAttributeKey('ReadinessPhase', 'KEYWORD');
/** Search attribute: the final decision (`GO`, `CONDITIONAL_GO`, `NO_GO`). */
export const SA_VERDICT = defineSearchAttributeKey('ReadinessVerdict', 'KEYWORD');
/** Search attribute: the final overall score in percent. */
export const SA_SCORE = defineSearchAttributeKey('ReadinessScore', 'DOUBLE');
/** Search attribute: the target's base URL. */
export const SA_TARGET = defineSearchAttributeKey('ReadinessTarget', 'KEYWORD');

/** Every search attribute the project uses, with the server-side type to register. */
export const SEARCH_ATTRIBUTES = [
  { name: SA_PHASE.name, type: 'Keyword' },
  { name: SA_VERDICT.name, type: 'Keyword' },
  { name: SA_SCORE.name, type: 'Double' },
  { name: SA_TARGET.name, type: 'Keyword' },
] as const;

/** A campaign or schedule id someone chooses (`--id`, a direct start): letters, digits, `.`, `_`, `-`. */
const CHOSEN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * Why a chosen campaign or schedule id is refused, or undefined: it names a report directory and a workflow,
 * so it must be a plain name (see {@link CHOSEN_ID}) without `..`.
 */
export function chosenIdProblem(id: string): string | undefined {
  if (!CHOSEN_ID.test(id))
    return `"${id.slice(0, 80)}" is not a valid id: 1-200 characters of letters, digits, ".", "_" or "-", starting with a letter or digit`;
  if (id.includes('..')) return `"${id.slice(0, 80)}" is not a valid id: it must not contain ".."`;
  return undefined;
}

/**
 * Builds a readable, unique campaign workflow id: `readiness-<name>-<yyyymmddThhmmssZ>`.
 * The timestamp keeps reruns of the same campaign apart in the Web UI.
 */
export function campaignWorkflowId(name: string, now: Date): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'campaign';
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `readiness-${slug}-${stamp}`;
}

/** The default schedule id of a campaign: `readiness-<name>`. */
export function defaultScheduleId(campaignName: string): string {
  return `readiness-${campaignName}`;
}

/**
 * The workflow id prefix of a schedule's runs. Temporal appends the scheduled time to it
 * (`readiness-<name>-scheduled-2026-01-05T06:00:00Z`), so each run has its own readable id.
 */
export function scheduledWorkflowIdPrefix(scheduleId: string): string {
  return `${scheduleId}-scheduled`;
}
