import { loadCampaignFile } from '../../config/load';

/** `readiness validate <file>`: prints a one-line summary, or every problem (exit 2 via ConfigError). */
export async function validateCommand(file: string, opts: { json?: boolean }): Promise<void> {
  const campaign = await loadCampaignFile(file);
  const phases = campaign.baseline?.phases.length ?? 0;
  if (opts.json)
    process.stdout.write(`${JSON.stringify({ valid: true, name: campaign.name, baselinePhases: phases })}\n`);
  else
    process.stdout.write(
      `${file}: valid campaign "${campaign.name}" (${phases} baseline phase${phases === 1 ? '' : 's'}, ${campaign.scenario.requests.length} request type${campaign.scenario.requests.length === 1 ? '' : 's'})\n`,
    );
}
