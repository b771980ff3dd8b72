import type { CampaignResult } from '../../core/types';
import { PHASES } from '../../core/types';
import { formatProgress } from '../campaign-runner';
import { describeCampaign, withClient, type ConnectionFlags } from '../connect';
import { progressQuery } from '../../workflows/messages';

/** `readiness status <id>`: live progress of a running campaign (query), or the result of a finished one. */
export async function statusCommand(campaignId: string, flags: ConnectionFlags & { json?: boolean }): Promise<void> {
  await withClient(flags, async (client) => {
    const desc = await describeCampaign(client, campaignId);
    const handle = client.workflow.getHandle(campaignId);
    const state = desc.status.name;
    if (state === 'RUNNING') {
      const progress = await handle.query(progressQuery);
      if (flags.json) return void process.stdout.write(`${JSON.stringify({ campaignId, state, progress })}\n`);
      process.stdout.write(
        `${campaignId}: RUNNING since ${desc.startTime.toISOString()}\n${formatProgress(progress, new Date())}\n`,
      );
      for (const name of PHASES) {
        const p = progress.phases[name];
        process.stdout.write(`  ${name.padEnd(11)} ${p.status}${'reason' in p && p.reason ? `: ${p.reason}` : ''}\n`);
      }
      for (const g of progress.gates ?? []) {
        const who = g.by ? ` by ${g.by}${g.note ? `: ${g.note}` : ''}` : '';
        const waiting =
          g.state === 'waiting'
            ? ` until ${g.until} (then ${g.onTimeout}); readiness approve ${campaignId} --gate ${g.before} --by NAME${g.approvers ? ` (approvers: ${g.approvers.join(', ')})` : ''}`
            : '';
        process.stdout.write(`gate before ${g.before}: ${g.state}${who}${waiting}\n`);
      }
      const c = progress.checklist;
      if (c) {
        process.stdout.write(
          `checklist: ${c.manualItems - c.missing.length} of ${c.manualItems} manual items attested or waived${c.waitingUntil ? `; waiting for the rest until ${c.waitingUntil}` : ''}\n`,
        );
        if (c.missing.length)
          process.stdout.write(
            `  missing: ${c.missing.join(', ')}\n  (readiness attest ${campaignId} <item> --by NAME, or readiness waive ...)\n`,
          );
      }
      return;
    }
    if (state !== 'COMPLETED') {
      if (flags.json) return void process.stdout.write(`${JSON.stringify({ campaignId, state })}\n`);
      return void process.stdout.write(`${campaignId}: ${state} (closed ${desc.closeTime?.toISOString() ?? '?'})\n`);
    }
    const result = (await handle.result()) as CampaignResult;
    if (flags.json) return void process.stdout.write(`${JSON.stringify({ campaignId, state, result })}\n`);
    process.stdout.write(
      `${campaignId}: COMPLETED ${result.decision} (score ${result.scorePct}%)\nreport: ${result.reportDir}\n`,
    );
    for (const name of PHASES) {
      const p = result.phases[name];
      process.stdout.write(`  ${name.padEnd(11)} ${p.status}${p.reason ? `: ${p.reason}` : ''}\n`);
    }
  });
}
