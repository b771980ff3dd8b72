import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildReport, renderMarkdown, type ReportJson } from '../../core/report';
import type { ResultsStore } from '../../infra/results-store';

/** The report formats and their file names. */
export const REPORT_FILES = { json: 'report.json', md: 'report.md' } as const;

/** Renders a report in one format. */
export function renderReport(report: ReportJson, format: keyof typeof REPORT_FILES): string {
  return format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderMarkdown(report);
}

/** Builds a campaign's report from the store; undefined when the campaign is unknown. */
export async function loadReport(store: ResultsStore, campaignId: string, now: Date): Promise<ReportJson | undefined> {
  const source = await store.loadReportSource(campaignId);
  return source && buildReport(source, now.toISOString());
}

/** Writes every report format into `<reportRoot>/<campaignId>/`, each file atomically (temp + rename). */
export async function writeReportFiles(reportRoot: string, report: ReportJson): Promise<{ reportDir: string; files: string[] }> {
  const reportDir = path.join(reportRoot, report.campaign.id);
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
