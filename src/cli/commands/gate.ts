/** `readiness approve` and `readiness reject`: decide an approval gate of a running campaign (workflow updates). */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { EXIT } from '../../core/exit-codes';
import type { ApproveRequest, GateUpdateResult, RejectRequest } from '../../workflows/messages';
import { describeCampaign, withClient, type ConnectionFlags } from '../connect';
import { CliExit } from '../errors';

async function decide(campaignId: string, name: 'approve' | 'reject', req: ApproveRequest | RejectRequest, flags: ConnectionFlags): Promise<GateUpdateResult> {
  return withClient(flags, async (client) => {
    const desc = await describeCampaign(client, campaignId);
    if (desc.status.name !== 'RUNNING') throw new CliExit(EXIT.INVALID_INPUT, `error: campaign "${campaignId}" is not running (${desc.status.name}): its gates can no longer be decided`);
    try {
      return await client.workflow.getHandle(campaignId).executeUpdate<GateUpdateResult, [ApproveRequest | RejectRequest]>(name, { args: [req] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new CliExit(EXIT.INVALID_INPUT, `error: ${name} rejected: ${err.cause?.message ?? err.message}`);
      throw err;
    }
  });
}

/** `readiness approve <id> --gate PHASE --by NAME [--note TEXT]`: the campaign may enter PHASE (also ahead of time). */
export async function approveCommand(campaignId: string, flags: ConnectionFlags & { gate: string; by: string; note?: string }): Promise<void> {
  const r = await decide(campaignId, 'approve', { gate: flags.gate, by: flags.by, ...(flags.note ? { note: flags.note } : {}) }, flags);
  process.stdout.write(`gate before ${r.gate} of ${campaignId}: ${r.state} by ${flags.by}\n`);
}

/** `readiness reject <id> --gate PHASE --by NAME --reason TEXT`: the campaign stops at the gate and ends NO_GO. */
export async function rejectCommand(campaignId: string, flags: ConnectionFlags & { gate: string; by: string; reason: string }): Promise<void> {
  const r = await decide(campaignId, 'reject', { gate: flags.gate, by: flags.by, reason: flags.reason }, flags);
  process.stdout.write(`gate before ${r.gate} of ${campaignId}: ${r.state} by ${flags.by}; the campaign stops there (NO_GO)\n`);
}
