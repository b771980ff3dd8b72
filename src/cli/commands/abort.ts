import { describeCampaign, withClient, type ConnectionFlags } from '../connect';
import { CliExit } from '../errors';
import { EXIT } from '../../core/exit-codes';
import { abortSignal } from '../../workflows/messages';

/** `readiness abort <id> --by NAME`: signals the campaign to stop; it ends NO_GO with a partial report. */
export async function abortCommand(
  campaignId: string,
  flags: ConnectionFlags & { by: string; reason?: string },
): Promise<void> {
  await withClient(flags, async (client) => {
    const desc = await describeCampaign(client, campaignId);
    if (desc.status.name !== 'RUNNING')
      throw new CliExit(EXIT.INVALID_INPUT, `error: campaign "${campaignId}" is not running (${desc.status.name})`);
    await client.workflow.getHandle(campaignId).signal(abortSignal, { by: flags.by, reason: flags.reason });
    process.stdout.write(`abort requested for ${campaignId} by ${flags.by}\n`);
  });
}
