import { loadCampaign } from '../../config/load';
import { uploadDataTables } from '../data-upload';
import { exitCodeForDecision } from '../../core/exit-codes';
import { workflowUrl } from '../../infra/dev-state';
import { followCampaign, startCampaign } from '../campaign-runner';
import { withClient, type ConnectionFlags } from '../connect';

/** Flags of `readiness start`. */
export interface StartFlags extends ConnectionFlags {
  wait?: boolean;
  json?: boolean;
  id?: string;
}

/**
 * `readiness start <file>`: validates (nothing starts when invalid), starts the campaign, prints its id
 * and Web UI link; with --wait follows it and exits with the verdict's code.
 */
export async function startCommand(file: string, flags: StartFlags): Promise<number> {
  const { campaign, tables } = await loadCampaign(file);
  return withClient(flags, async (client, endpoints) => {
    await uploadDataTables(endpoints.databaseUrl, tables);
    const handle = await startCampaign(client, campaign, { id: flags.id });
    const url = workflowUrl(endpoints.uiUrl, endpoints.namespace, handle.workflowId);
    process.stderr.write(`started campaign ${handle.workflowId}\nWeb UI: ${url}\n`);
    if (!flags.wait) {
      if (flags.json)
        process.stdout.write(
          `${JSON.stringify({ campaignId: handle.workflowId, workflowId: handle.workflowId, url })}\n`,
        );
      else process.stdout.write(`${handle.workflowId}\n`);
      return 0;
    }
    const result = await followCampaign(handle);
    process.stderr.write(`verdict: ${result.decision} (score ${result.scorePct}%)\nreport: ${result.reportDir}\n`);
    for (const b of result.verdict.blockers) process.stderr.write(`  blocker: ${b}\n`);
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ campaignId: result.campaignId, workflowId: handle.workflowId, decision: result.decision, scorePct: result.scorePct, reportDir: result.reportDir })}\n`,
      );
    } else process.stdout.write(`${result.decision}\n`);
    return exitCodeForDecision(result.decision);
  });
}
