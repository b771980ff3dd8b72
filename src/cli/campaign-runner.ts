import { checklistSections, resolveChecklist } from '../core/checklist';
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Campaign } from '../config/schema';
import { CampaignAlreadyRunningError } from '../core/errors';
import { EXIT } from '../core/exit-codes';
import { CAMPAIGN_WORKFLOW, campaignWorkflowId, chosenIdProblem, SA_PHASE, SA_TARGET, TASK_QUEUE } from '../core/names';
import { CliExit } from './errors';
import type { CampaignInput } from '../config/input';
import type { CampaignProgress, CampaignResult } from '../core/types';
import type { readinessCampaignWorkflow } from '../workflows';
import { progressQuery } from '../workflows/messages';

/** A stable hash of a validated campaign (what ran, for the memo and the report). */
function configHash(campaign: Campaign): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(campaign)))
    .digest('hex');
}

/**
 * What every campaign workflow starts with, from `readiness start` or a Schedule: the input, the task queue, the
 * search attributes, the memo, and the Web UI's summary and details (user metadata, not part of the input).
 */
export function campaignStartOptions(campaign: Campaign, campaignId: string, taskQueue?: string) {
  const hash = configHash(campaign);
  const input: CampaignInput = {
    campaignId,
    campaign,
    configHash: hash,
    checklist: resolveChecklist(campaign.checklist, checklistSections(campaign)).items,
  };
  return {
    taskQueue: taskQueue ?? TASK_QUEUE,
    args: [input] as [CampaignInput],
    typedSearchAttributes: [
      { key: SA_TARGET, value: campaign.target.baseUrl },
      { key: SA_PHASE, value: 'starting' },
    ],
    memo: { campaign: campaign.name, owner: campaign.owner ?? '', configHash: hash },
    staticSummary: `readiness campaign ${campaign.name} → ${campaign.target.baseUrl}`,
    staticDetails: `- **Campaign:** ${campaign.name}\n- **Owner:** ${campaign.owner ?? 'not set'}\n- **Config hash:** \`${hash}\``,
  };
}

/**
 * Starts a campaign workflow. Ids are single-use: an id that is running or was used before is
 * refused with CampaignAlreadyRunningError, and nothing is started.
 */
export async function startCampaign(
  client: Client,
  campaign: Campaign,
  opts: { id?: string; now?: Date; taskQueue?: string } = {},
): Promise<WorkflowHandle<typeof readinessCampaignWorkflow>> {
  const campaignId = opts.id ?? campaignWorkflowId(campaign.name, opts.now ?? new Date());
  const idProblem = chosenIdProblem(campaignId);
  if (idProblem) throw new CliExit(EXIT.INVALID_INPUT, `error: --id ${idProblem}`);
  try {
    return await client.workflow.start<typeof readinessCampaignWorkflow>(CAMPAIGN_WORKFLOW, {
      ...campaignStartOptions(campaign, campaignId, opts.taskQueue),
      workflowId: campaignId,
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new CampaignAlreadyRunningError(campaignId);
    throw err;
  }
}

/** One line describing progress, with a bar for the current step. */
export function formatProgress(p: CampaignProgress, now: Date): string {
  const step = p.step ? ` ${p.step}${p.stepCount ? ` (${(p.stepIndex ?? 0) + 1}/${p.stepCount})` : ''}` : '';
  let bar = '';
  if (p.stepStartedAt && p.stepDurationMs) {
    const frac = Math.max(0, Math.min(1, (now.getTime() - Date.parse(p.stepStartedAt)) / p.stepDurationMs));
    const width = 24;
    bar = ` [${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ${Math.round(frac * 100)}%`;
  }
  return `[${p.phase}]${step}${bar}${p.abortedBy ? ` (aborting: ${p.abortedBy})` : ''}`;
}

/**
 * Follows a running campaign until it ends, printing progress to stderr (a live line on a TTY,
 * one line per step otherwise). Returns the workflow's result.
 */
export async function followCampaign(
  handle: WorkflowHandle<typeof readinessCampaignWorkflow>,
  out: NodeJS.WriteStream = process.stderr,
): Promise<CampaignResult> {
  const resultP = handle.result();
  let done = false;
  void resultP.finally(() => (done = true)).catch(() => undefined);
  let last = '';
  while (!done) {
    const progress = await handle.query(progressQuery).catch(() => undefined);
    if (progress) {
      const line = formatProgress(progress, new Date());
      if (out.isTTY) out.write(`\r\x1b[2K${line}`);
      else {
        const key = line.replace(/ \[[#.]+\] \d+%/, '');
        if (key !== last) out.write(`${line}\n`);
        last = key;
      }
    }
    await Promise.race([resultP.catch(() => undefined), new Promise((r) => setTimeout(r, 1_000))]);
  }
  if (out.isTTY) out.write('\n');
  return resultP;
}
