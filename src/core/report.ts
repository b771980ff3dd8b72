import type { BaselinePhaseResult, ErrorBreakdown, PhaseName, PhaseOutcome, TimelinePoint, Verdict } from './types';
import { PHASES } from './types';

/** Version of report.json's shape; bumped on any incompatible change. */
export const REPORT_SCHEMA_VERSION = 1;

/** What a report is built from: the stored campaign record and its phase results. */
export interface ReportSource {
  campaign: {
    id: string;
    name: string;
    owner?: string;
    target: string;
    configHash: string;
    startedAt: string;
    finishedAt?: string;
  };
  verdict?: Verdict;
  phases: Record<PhaseName, PhaseOutcome>;
  baseline: { thresholds: string[]; phases: BaselinePhaseResult[]; timelines?: Record<string, TimelinePoint[]> };
}

/** report.json, version 1. */
export interface ReportJson {
  schemaVersion: number;
  generatedAt: string;
  campaign: ReportSource['campaign'];
  verdict: Verdict | { decision: 'PENDING'; scorePct: null; blockers: string[]; reasons: string[] };
  baseline: {
    thresholds: string[];
    phases: Array<Omit<BaselinePhaseResult, 'resumedFromMs' | 'attempt' | 'errorBreakdown' | 'errors'> & {
      /** Requests that failed (error status, unexpected status, transport error). */
      failedRequests: number;
      resumed: boolean;
      /** The error breakdown: endpoint x HTTP status or failure kind, most frequent first. */
      errors: ErrorBreakdown[];
      timeline: TimelinePoint[];
    }>;
  };
  phases: Record<PhaseName, PhaseOutcome>;
}

/** Builds report.json from stored results. Pure: `generatedAt` is passed in. */
export function buildReport(source: ReportSource, generatedAt: string): ReportJson {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt,
    campaign: source.campaign,
    verdict: source.verdict ?? { decision: 'PENDING', scorePct: null, blockers: [], reasons: ['campaign has not finished'] },
    baseline: {
      thresholds: source.baseline.thresholds,
      phases: source.baseline.phases.map(({ resumedFromMs, attempt: _attempt, errorBreakdown, errors, ...rest }) => ({
        ...rest, failedRequests: errors, resumed: resumedFromMs > 0, errors: errorBreakdown ?? [], timeline: source.baseline.timelines?.[rest.name] ?? [],
      })),
    },
    phases: source.phases,
  };
}

const ms = (v: number) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')}ms` : 'n/a');
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const ICON: Record<string, string> = { GO: '🟢', CONDITIONAL_GO: '🟡', NO_GO: '🔴', PENDING: '⏳' };
const STATUS_ICON: Record<string, string> = { pass: '✅', fail: '❌', error: '⚠️', not_run: '⏭️', aborted: '🛑' };

/** Renders report.md in the shape of the hand-run completion report: decision first, then evidence. */
export function renderMarkdown(report: ReportJson): string {
  const { campaign, verdict } = report;
  const lines: string[] = [];
  lines.push(`# Production readiness: ${campaign.name}`, '');
  lines.push(`**Decision:** ${ICON[verdict.decision] ?? ''} **${verdict.decision}**` + (verdict.scorePct === null ? '' : ` (score ${verdict.scorePct}%)`), '');
  lines.push(`| | |`, `|---|---|`);
  lines.push(`| Campaign | \`${campaign.id}\` |`);
  lines.push(`| Target | ${campaign.target} |`);
  if (campaign.owner) lines.push(`| Owner | ${campaign.owner} |`);
  lines.push(`| Started | ${campaign.startedAt} |`);
  lines.push(`| Finished | ${campaign.finishedAt ?? '(running)'} |`);
  lines.push(`| Config hash | \`${campaign.configHash.slice(0, 12)}\` |`, '');

  if (verdict.blockers.length) {
    lines.push('## Blocking reasons', '');
    verdict.blockers.forEach((b, i) => lines.push(`${i + 1}. ${b}`));
    lines.push('');
  }
  if (verdict.reasons.length) {
    lines.push('## Why not GO', '');
    verdict.reasons.forEach((r) => lines.push(`- ${r}`));
    lines.push('');
  }

  lines.push('## Phases', '', '| Phase | Status | Notes |', '|---|---|---|');
  for (const name of PHASES) {
    const p = report.phases[name];
    lines.push(`| ${name} | ${STATUS_ICON[p.status] ?? ''} ${p.status} | ${p.reason ?? ''} |`);
  }
  lines.push('');

  lines.push('## Baseline load', '');
  if (!report.baseline.phases.length) {
    lines.push('_No baseline phase ran._', '');
  } else {
    if (report.baseline.thresholds.length) lines.push(`Thresholds: ${report.baseline.thresholds.map((t) => `\`${t}\``).join(', ')}`, '');
    lines.push('| Test | Users | P50 | P95 | P99 | Max | req/s | Errors | Assessment |', '|---|---|---|---|---|---|---|---|---|');
    for (const p of report.baseline.phases) {
      const failed = p.thresholds.filter((t) => !t.ok).map((t) => t.threshold);
      const assessment = p.assessment === 'pass' ? '✅ Pass'
        : p.assessment === 'invalid' ? '⚠️ Invalid (generator)'
          : p.assessment === 'aborted' ? '🛑 Aborted'
            : `❌ Fail${failed.length ? ` (${failed.join(', ')})` : ''}`;
      lines.push(`| ${p.name} | ${p.users} | ${ms(p.latencyMs.p50)} | ${ms(p.latencyMs.p95)} | ${ms(p.latencyMs.p99)} | ${ms(p.latencyMs.max)} | ${p.throughputRps.toFixed(1)} | ${pct(p.errorRate)} (${p.failedRequests.toLocaleString('en-US')}/${p.requests.toLocaleString('en-US')}) | ${assessment} |`);
    }
    lines.push('');
    lines.push('### Responses by status', '', '| Test | Status counts | Transport errors |', '|---|---|---|');
    for (const p of report.baseline.phases) {
      const codes = Object.entries(p.statusCounts).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v.toLocaleString('en-US')}`).join(', ') || 'none';
      const errs = Object.entries(p.errorCounts).map(([k, v]) => `${k}: ${v.toLocaleString('en-US')}`).join(', ') || 'none';
      lines.push(`| ${p.name} | ${codes} | ${errs} |`);
    }
    lines.push('');
    for (const p of report.baseline.phases) {
      if (!p.endpoints?.length) continue;
      lines.push(`### Endpoints: ${p.name}`, '', '| Endpoint | Requests | Failures | Error Rate | P50 | P95 | P99 |', '|---|---|---|---|---|---|---|');
      for (const e of [...p.endpoints].sort((a, b) => b.errorRate - a.errorRate || b.requests - a.requests)) {
        const rate = e.errorRate >= 0.1 ? `**${pct(e.errorRate)}**` : pct(e.errorRate);
        lines.push(`| ${e.name} | ${e.requests.toLocaleString('en-US')} | ${e.errors.toLocaleString('en-US')} | ${rate} | ${ms(e.latencyMs.p50)} | ${ms(e.latencyMs.p95)} | ${ms(e.latencyMs.p99)} |`);
      }
      if (p.errors.length) lines.push('', `Errors: ${p.errors.slice(0, 10).map((e) => `${e.count.toLocaleString('en-US')} × ${/^\d+$/.test(e.kind) ? `HTTP ${e.kind}` : e.kind} on ${e.endpoint}`).join('; ')}`);
      if (p.latencyMsUncorrected) lines.push('', `Open model: P99 ${ms(p.latencyMs.p99)} from the intended start (coordinated omission corrected) vs ${ms(p.latencyMsUncorrected.p99)} from the actual send; ${p.dropped.toLocaleString('en-US')} iterations dropped.`);
      const g = p.generator;
      if (g) lines.push('', `Generator: ${g.generators} generator(s), ${g.threads} thread(s), event-loop delay p99 ${ms(g.eventLoopDelayP99Ms)}, threads busy ${(g.eluMean * 100).toFixed(0)}%${g.cpuShare !== undefined ? `, CPU ${(g.cpuShare * 100).toFixed(0)}% of the host` : ''}, ${g.achievedRate.toFixed(1)} iterations/s${g.intendedRate !== undefined ? ` of ${g.intendedRate.toFixed(1)} intended` : ''}.`);
      if (p.notes?.length) lines.push('', ...p.notes.map((n) => `- ${n}`));
      lines.push('');
    }
  }
  lines.push(`_report.json schemaVersion ${report.schemaVersion}, generated ${report.generatedAt}_`, '');
  return lines.join('\n');
}
