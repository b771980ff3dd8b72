import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareCampaigns } from '../core/compare';
import { renderReportHtml } from './chart-bundle';
import { renderMarkdown } from './markdown';
import { buildReport, type ReportJson } from './model';
import type { ResultsStore } from '../infra/results-store';
import type { EndpointShift, SparseCounts } from '../core/distribution';
import { endpointHistograms, endpointShifts, operationLatencies } from './histograms';

/** The report formats and their file names. */
const REPORT_FILES = { json: 'report.json', md: 'report.md', html: 'report.html' } as const;

/** Renders a report in one format. */
export function renderReport(report: ReportJson, format: keyof typeof REPORT_FILES): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  return format === 'html' ? renderReportHtml(report) : renderMarkdown(report);
}

/**
 * Builds a campaign's report from the store, compared with the previous campaign of the same target;
 * undefined when the campaign is unknown.
 */
export async function loadReport(store: ResultsStore, campaignId: string, now: Date): Promise<ReportJson | undefined> {
  const source = await store.loadReportSource(campaignId);
  if (!source) return undefined;
  const generatedAt = now.toISOString();
  // The stored histograms: latency by operation type, and per endpoint for the comparison.
  const methods = source.methods ?? {};
  const histograms: Record<string, Record<string, SparseCounts>> = {};
  source.baseline.operations = {};
  for (const p of source.baseline.phases) {
    histograms[p.name] = await endpointHistograms(store, campaignId, p.name);
    source.baseline.operations[p.name] = operationLatencies(histograms[p.name]!, methods);
  }
  const previousId = await store.previousCampaignId(campaignId);
  const previous = previousId ? await store.loadReportSource(previousId, { timelines: false }) : undefined;
  if (previous) {
    // Latency is compared endpoint by endpoint as distributions (significance and effect), in like phases only.
    const shifts: EndpointShift[] = [];
    for (const p of source.baseline.phases) {
      const was = previous.baseline.phases.find((x) => x.name === p.name);
      if (!was || was.users !== p.users || was.model !== p.model) continue;
      shifts.push(...endpointShifts(p.name, await endpointHistograms(store, previousId!, p.name), histograms[p.name]!));
    }
    source.comparison = compareCampaigns(buildReport(previous, generatedAt), buildReport(source, generatedAt), shifts);
  }
  return buildReport(source, generatedAt);
}

/**
 * The report directory of a campaign: `<reportRoot>/<campaignId>`, refused (throws) unless the id is one plain path
 * segment, so no id (`../x`, `a/b`, an absolute path) can put a report outside the root. A scheduled run's id
 * (the schedule's id plus the scheduled time, with `:`) is one segment too.
 */
export function reportDirFor(reportRoot: string, campaignId: string): string {
  const root = path.resolve(reportRoot);
  const dir = path.resolve(root, campaignId);
  if (!campaignId || campaignId.startsWith('.') || /[/\\\0]/.test(campaignId) || path.dirname(dir) !== root) {
    throw new Error(`campaign id "${campaignId.slice(0, 80)}" cannot name a report directory under ${root}`);
  }
  return dir;
}

/** Writes every report format into `<reportRoot>/<campaignId>/`, each file atomically (temp + rename). */
export async function writeReportFiles(
  reportRoot: string,
  report: ReportJson,
): Promise<{ reportDir: string; files: string[] }> {
  const reportDir = reportDirFor(reportRoot, report.campaign.id);
  await mkdir(reportDir, { recursive: true });
  const files: string[] = [];
  for (const [format, file] of Object.entries(REPORT_FILES) as Array<[keyof typeof REPORT_FILES, string]>) {
    const target = path.join(reportDir, file);
    await writeFile(`${target}.tmp`, renderReport(report, format));
    await rename(`${target}.tmp`, target);
    files.push(target);
  }
  return { reportDir, files };
}
