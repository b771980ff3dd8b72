import { loadCampaignFile } from '../../config/load';

/** `readiness validate <file>`: prints a one-line summary, or every problem (exit 2 via ConfigError). */
export async function validateCommand(file: string, opts: { json?: boolean }): Promise<void> {
  const campaign = await loadCampaignFile(file);
  const phases = campaign.baseline?.phases.length ?? 0;
  if (opts.json)
    process.stdout.write(`${JSON.stringify({ valid: true, name: campaign.name, baselinePhases: phases })}\n`);
  else {
    const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
    const flows = campaign.scenario.flows?.length ?? 0;
    const data = Object.entries(campaign.scenario.data ?? {}).map(
      ([name, d]) => `data ${name}: ${n(d.rows ?? 0, 'row')} (${d.mode})`,
    );
    const parts = [
      n(phases, 'baseline phase'),
      n(campaign.scenario.requests.length, 'request type'),
      ...(flows ? [n(flows, 'flow')] : []),
      ...data,
    ];
    process.stdout.write(`${file}: valid campaign "${campaign.name}" (${parts.join(', ')})\n`);
  }
}
