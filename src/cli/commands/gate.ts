/** `readiness approve` and `readiness reject`: decide an approval gate of a running campaign (workflow updates). */
import type { UpdateDefinition } from '@temporalio/common';
import { approveUpdate, rejectUpdate, type GateUpdateResult } from '../../workflows/messages';
import type { ConnectionFlags } from '../connect';
import { updateRunningCampaign } from '../update';

function decide<A>(
  campaignId: string,
  update: UpdateDefinition<GateUpdateResult, [A]>,
  req: A,
  flags: ConnectionFlags,
): Promise<GateUpdateResult> {
  return updateRunningCampaign(
    flags,
    campaignId,
    update,
    req,
    (status) => `campaign "${campaignId}" is not running (${status}): its gates can no longer be decided`,
  );
}

/** `readiness approve <id> --gate PHASE --by NAME [--note TEXT]`: the campaign may enter PHASE (also ahead of time). */
export async function approveCommand(
  campaignId: string,
  flags: ConnectionFlags & { gate: string; by: string; note?: string },
): Promise<void> {
  const r = await decide(
    campaignId,
    approveUpdate,
    { gate: flags.gate, by: flags.by, ...(flags.note ? { note: flags.note } : {}) },
    flags,
  );
  process.stdout.write(`gate before ${r.gate} of ${campaignId}: ${r.state} by ${flags.by}\n`);
}

/** `readiness reject <id> --gate PHASE --by NAME --reason TEXT`: the campaign stops at the gate and ends NO_GO. */
export async function rejectCommand(
  campaignId: string,
  flags: ConnectionFlags & { gate: string; by: string; reason: string },
): Promise<void> {
  const r = await decide(campaignId, rejectUpdate, { gate: flags.gate, by: flags.by, reason: flags.reason }, flags);
  process.stdout.write(
    `gate before ${r.gate} of ${campaignId}: ${r.state} by ${flags.by}; the campaign stops there (NO_GO)\n`,
  );
}
