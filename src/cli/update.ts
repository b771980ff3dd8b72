/** The one way the CLI sends a workflow update to a running campaign: typed by its definition in workflows/messages.ts. */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { EXIT } from '../core/exit-codes';
import { describeCampaign, withClient, type ConnectionFlags } from './connect';
import { CliExit } from './errors';

/**
 * Sends `update` with `req` to the running campaign `campaignId`. Not running: exit 2 with `closed(status)`; the
 * workflow's validator refused it: exit 2 with its reason.
 */
export async function updateRunningCampaign<R, A>(
  flags: ConnectionFlags,
  campaignId: string,
  update: UpdateDefinition<R, [A]>,
  req: A,
  closed: (status: string) => string,
): Promise<R> {
  return withClient(flags, async (client) => {
    const desc = await describeCampaign(client, campaignId);
    if (desc.status.name !== 'RUNNING') throw new CliExit(EXIT.INVALID_INPUT, `error: ${closed(desc.status.name)}`);
    try {
      return await client.workflow.getHandle(campaignId).executeUpdate(update, { args: [req] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw new CliExit(EXIT.INVALID_INPUT, `error: ${update.name} rejected: ${err.cause?.message ?? err.message}`);
      throw err;
    }
  });
}
