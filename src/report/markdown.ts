/**
 * report.md: the report in the shape of the hand-run completion report, decision first, then the evidence
 * phase by phase. Pure: report.json in, markdown out.
 */
import { PHASES } from '../core/types';
import type { BackupResult } from '../core/backup';
import { defaultTargetsText, dependencyTargetText } from '../core/dependencies';
import {
  DRILL_HEAD,
  RESOURCE_HEAD,
  drillCells,
  drillDetails,
  faultDefaultsText,
  markedText,
  resourceCells,
  resourceWindow,
} from './faults-text';
import { MATURITY_LABELS, type CheckResult, type MonitoringResult } from '../core/monitoring';
import type { SpikeResult, WindowWait } from '../core/stress';
import { distinctSamples, type Degradation } from '../core/degradation';
import type { ReportFaults, ReportJson } from './model';
import type { Analysis } from '../core/analysis';
const ms = (v: number) =>
  Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')}ms` : 'n/a';
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : 'n/a');
/** A figure with `digits` decimals; `n/a` when it is missing (a JSON null: NaN or no data when measured). */
const fixed = (v: number | null | undefined, digits: number) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
const ICON: Record<string, string> = { GO: '🟢', CONDITIONAL_GO: '🟡', NO_GO: '🔴', PENDING: '⏳' };
const STATUS_ICON: Record<string, string> = { pass: '✅', fail: '❌', error: '⚠️', not_run: '⏭️', aborted: '🛑' };

/** Renders report.md in the shape of the hand-run completion report: decision first, then evidence. */
export function renderMarkdown(report: ReportJson): string {
  const { campaign, verdict } = report;
  const lines: string[] = [];
  lines.push(`# Production readiness: ${campaign.name}`, '');
  lines.push(
    `**Decision:** ${ICON[verdict.decision] ?? ''} **${verdict.decision}**` +
      (verdict.scorePct === null ? '' : ` (score ${verdict.scorePct}%)`),
    '',
  );
  lines.push(`| | |`, `|---|---|`);
  lines.push(`| Campaign | \`${campaign.id}\` |`);
  lines.push(`| Target | ${campaign.target} |`);
  if (campaign.owner) lines.push(`| Owner | ${campaign.owner} |`);
  lines.push(`| Started | ${campaign.startedAt} |`);
  lines.push(`| Finished | ${campaign.finishedAt ?? '(running)'} |`);
  lines.push(`| Config hash | \`${campaign.configHash.slice(0, 12)}\` |`, '');

  lines.push(...executiveSummary(report));
  if (report.categories?.length) {
    lines.push('## Category scores', '', '| Category | Score | Status | Blockers |', '|---|---|---|---|');
    for (const c of report.categories) {
      const bands = report.checklist?.policy ?? { goAt: 90, conditionalAt: 75 };
      const state =
        c.scorePct === null
          ? '⚪ Waived'
          : c.scorePct >= bands.goAt
            ? '🟢 Good'
            : c.scorePct >= bands.conditionalAt
              ? '🟡 Partial'
              : '🔴 Poor';
      lines.push(
        `| ${c.name} | ${c.scorePct === null ? 'n/a' : `${c.scorePct}%`} (${c.earned}/${c.max}) | ${state} | ${c.blockers} item${c.blockers === 1 ? '' : 's'} |`,
      );
    }
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
    if (report.baseline.thresholds.length)
      lines.push(`Thresholds: ${report.baseline.thresholds.map((t) => `\`${t}\``).join(', ')}`, '');
    lines.push(
      '| Test | Users | P50 | P95 | P99 | Max | req/s | Errors | Assessment |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const p of report.baseline.phases) {
      const failed = p.thresholds.filter((t) => !t.ok).map((t) => t.threshold);
      const assessment =
        p.assessment === 'pass'
          ? '✅ Pass'
          : p.assessment === 'invalid'
            ? '⚠️ Invalid (generator)'
            : p.assessment === 'aborted'
              ? '🛑 Aborted'
              : `❌ Fail${failed.length ? ` (${failed.join(', ')})` : ''}`;
      lines.push(
        `| ${p.name} | ${p.users} | ${ms(p.latencyMs.p50)} | ${ms(p.latencyMs.p95)} | ${ms(p.latencyMs.p99)} | ${ms(p.latencyMs.max)} | ${fixed(p.throughputRps, 1)} | ${pct(p.errorRate)} (${p.failedRequests.toLocaleString('en-US')}/${p.requests.toLocaleString('en-US')}) | ${assessment} |`,
      );
    }
    lines.push('');
    lines.push('### Responses by status', '', '| Test | Status counts | Transport errors |', '|---|---|---|');
    for (const p of report.baseline.phases) {
      const codes =
        Object.entries(p.statusCounts)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}: ${v.toLocaleString('en-US')}`)
          .join(', ') || 'none';
      const errs =
        Object.entries(p.errorCounts)
          .map(([k, v]) => `${k}: ${v.toLocaleString('en-US')}`)
          .join(', ') || 'none';
      lines.push(`| ${p.name} | ${codes} | ${errs} |`);
    }
    lines.push('');
    for (const p of report.baseline.phases) {
      if (!p.endpoints?.length) continue;
      lines.push(
        `### Endpoints: ${p.name}`,
        '',
        '| Endpoint | Requests | Failures | Error Rate | P50 | P95 | P99 |',
        '|---|---|---|---|---|---|---|',
      );
      for (const e of [...p.endpoints].sort((a, b) => b.errorRate - a.errorRate || b.requests - a.requests)) {
        const rate = e.errorRate >= 0.1 ? `**${pct(e.errorRate)}**` : pct(e.errorRate);
        lines.push(
          `| ${e.name} | ${e.requests.toLocaleString('en-US')} | ${e.errors.toLocaleString('en-US')} | ${rate} | ${ms(e.latencyMs.p50)} | ${ms(e.latencyMs.p95)} | ${ms(e.latencyMs.p99)} |`,
        );
      }
      if (p.flows?.length) {
        lines.push(
          '',
          `#### Flows: ${p.name}`,
          '',
          '| Flow | Iterations | Failed | Failed rate | P50 | P95 | P99 | Failed first at |',
          '|---|---|---|---|---|---|---|---|',
        );
        for (const f of p.flows) {
          const firstFailing =
            Object.entries(f.failedSteps)
              .sort(([, a], [, b]) => b - a)
              .map(([step, n]) => `${step} (${n.toLocaleString('en-US')})`)
              .join(', ') || '-';
          lines.push(
            `| ${f.name} | ${f.iterations.toLocaleString('en-US')} | ${f.failedIterations.toLocaleString('en-US')} | ${pct(f.failedRate)} | ${ms(f.latencyMs.p50)} | ${ms(f.latencyMs.p95)} | ${ms(f.latencyMs.p99)} | ${firstFailing} |`,
          );
        }
        lines.push(
          '',
          'A flow iteration is one user journey, think times between its steps included; its latency is that of the iterations in which every step passed.',
        );
      }
      for (const d of p.data ?? [])
        lines.push(
          '',
          `Data \`${d.name}\`: ${d.rowsUsed.toLocaleString('en-US')} rows handed out${d.wrapped ? `, wrapped ${d.wrapped} time(s)` : ''}${d.exhausted ? `, **${d.exhausted.toLocaleString('en-US')} user(s) stopped: no unique row left**` : ''}.`,
        );
      if (p.errors.length)
        lines.push(
          '',
          `Errors: ${p.errors
            .slice(0, 10)
            .map(
              (e) =>
                `${e.count.toLocaleString('en-US')} × ${/^\d+$/.test(e.kind) ? `HTTP ${e.kind}` : e.kind} on ${e.endpoint}`,
            )
            .join('; ')}`,
        );
      if (p.latencyMsUncorrected)
        lines.push(
          '',
          `Open model: P99 ${ms(p.latencyMs.p99)} from the intended start (coordinated omission corrected) vs ${ms(p.latencyMsUncorrected.p99)} from the actual send; ${p.dropped.toLocaleString('en-US')} iterations dropped.`,
        );
      const g = p.generator;
      if (g)
        lines.push(
          '',
          `Generator: ${g.generators} generator(s), ${g.threads} thread(s), event-loop delay p99 ${ms(g.eventLoopDelayP99Ms)}, threads busy ${(g.eluMean * 100).toFixed(0)}%${g.cpuShare !== undefined ? `, CPU ${(g.cpuShare * 100).toFixed(0)}% of the host` : ''}, ${fixed(g.achievedRate, 1)} iterations/s${g.intendedRate !== undefined ? ` of ${fixed(g.intendedRate, 1)} intended` : ''}.`,
        );
      if (p.notes?.length) lines.push('', ...p.notes.map((n) => `- ${n}`));
      lines.push('');
    }
  }
  if (report.stress) lines.push(...stressMarkdown(report.stress));
  if (report.analysis) lines.push(...analysisMarkdown(report.analysis));
  if (report.spike) lines.push(...spikeMarkdown(report.spike));
  if (report.monitoring) lines.push(...monitoringMarkdown(report.monitoring));
  if (report.backup) lines.push(...backupMarkdown(report.backup));
  if (report.faults) lines.push(...faultsMarkdown(report.faults));
  if (report.checklist) lines.push(...checklistMarkdown(report.checklist));
  if (report.comparison) lines.push(...comparisonMarkdown(report.comparison));
  lines.push(`_report.json schemaVersion ${report.schemaVersion}, generated ${report.generatedAt}_`, '');
  return lines.join('\n');
}

/** The degradation verdict: classes of failure, fail-fast, informative errors, sampled bodies. */
function degradationLines(title: string, d: Degradation | undefined): string[] {
  if (!d) return [];
  const yes = (v: boolean | null, good: string, bad: string) =>
    v === null ? 'n/a' : v ? `✅ ${good}` : `❌ **${bad}**`;
  const c = d.errorClasses;
  const lines = ['', `### ${title}`, ''];
  lines.push(
    `- Verdict: ${yes(d.graceful, 'graceful', 'not graceful')} · ${yes(d.failFast, 'fails fast', 'failures hang')} · ${yes(d.informativeErrors, 'informative errors', 'uninformative errors')} (judged on ${d.judged.join(', ')}).`,
  );
  lines.push(
    '',
    '| Class | Count |',
    '|---|---|',
    `| Fast rejections (429/503) | ${c.fastRejections} (${c.withRetryAfter} with Retry-After) |`,
    `| Timeouts | ${c.timeouts} |`,
    `| Transport errors (reset, refused, closed) | ${c.transport} |`,
    `| Other 5xx | ${c.otherServerErrors} |`,
    `| Other | ${c.other} |`,
    '',
  );
  lines.push(
    `- Failed requests: P95 ${d.failedP95Ms === null ? 'n/a' : ms(d.failedP95Ms)}; successful ones: P95 ${d.okP95Ms === null ? 'n/a' : ms(d.okP95Ms)}.`,
  );
  if (d.healthAfter)
    lines.push(
      `- Health right after: ${d.healthAfter.ok ? 'healthy' : `**not healthy** (${d.healthAfter.error ?? `HTTP ${d.healthAfter.status}`})`}.`,
    );
  for (const f of d.findings) lines.push(`- ${f}.`);
  if (d.samples.length) {
    lines.push(
      '',
      'Sampled error bodies (identical ones folded):',
      '',
      '| Endpoints | Status | Content type | Body (start) | Samples | Flags |',
      '|---|---|---|---|---|---|',
    );
    for (const x of distinctSamples(d.samples).slice(0, 8)) {
      const body = x.body.replace(/\s+/g, ' ').slice(0, 80).replace(/\|/g, '\\|').replace(/`/g, "'");
      const type = x.contentType.replace(/[|`<>\r\n]/g, ' ').slice(0, 60);
      lines.push(
        `| ${x.endpoints.join(', ')} | ${x.status} | ${type ? `\`${type}\`` : '-'} | ${body ? `\`${body}\`` : '(empty)'} | ${x.count} | ${x.flags.join(', ') || '-'} |`,
      );
    }
  }
  return lines;
}

function stressMarkdown(st: NonNullable<ReportJson['stress']>): string[] {
  const unit = st.model === 'closed' ? 'Users' : 'Req/s (offered)';
  const lines = [
    '## Capacity (progressive stress)',
    '',
    `Stop when: ${st.stopWhen.map((c) => `\`${c}\``).join(' or ')}, judged on each step's own window.`,
    '',
  ];
  const tele = [...new Set(st.steps.flatMap((s) => (s.telemetry ?? []).map((t) => t.name)))];
  lines.push(
    `| ${unit} | Error Rate | P50 | P95 | Throughput | Successful | ${tele.map((t) => `${t} | `).join('')}Status |`,
    `|---|---|---|---|---|---|${tele.map(() => '---|').join('')}---|`,
  );
  for (const s of st.steps) {
    const status =
      s.status === 'pass'
        ? '✅ Pass'
        : s.status === 'fail'
          ? `❌ **Failed** (${s.failed?.criterion})`
          : `⚠️ Invalid (${s.invalidReason?.startsWith('no request completed') ? 'nothing measured' : 'generator'})`;
    const cells = tele
      .map((name) => {
        const t = s.telemetry?.find((x) => x.name === name);
        if (!t || t.value === null) return 'n/a | ';
        const v = Number(t.value.toFixed(2));
        return `${t.saturated ? `**${v}** (saturated)` : v}${t.max !== undefined ? ` / ${t.max}` : ''} | `;
      })
      .join('');
    lines.push(
      `| ${s.level} | ${pct(s.errorRate)} | ${ms(s.latencyMs.p50)} | ${ms(s.latencyMs.p95)} | ${fixed(s.throughputRps, 1)} req/s | ${fixed(s.goodputRps, 1)} req/s | ${cells}${status} |`,
    );
  }
  lines.push('');
  const u = st.model === 'closed' ? 'users' : 'req/s';
  if (st.breakingPoint)
    lines.push(
      `- **Breaking point:** ${st.breakingPoint.users} ${u}: ${st.breakingPoint.criterion} (observed ${fixed(st.breakingPoint.observed, 4).replace(/\.?0+$/, '')}, threshold ${st.breakingPoint.threshold}).`,
    );
  else lines.push(`- **Breaking point:** not reached (${st.summary.stoppedBecause.replace('_', ' ')}).`);
  const saturated = st.steps.find((s) => s.status === 'fail')?.telemetry?.filter((t) => t.saturated) ?? [];
  if (saturated.length)
    lines.push(
      `- **What saturated at the breaking point:** ${saturated.map((t) => `${t.name} at ${fixed(t.value, 2).replace(/\.?0+$/, '')} of ${t.max} (\`${t.query}\`)`).join('; ')}.`,
    );
  if (st.capacityCeiling)
    lines.push(
      `- **Capacity ceiling:** ${st.capacityCeiling.users} ${u}, ${st.capacityCeiling.goodputRps} successful req/s, P95 ${ms(st.capacityCeiling.p95Ms)}.`,
    );
  lines.push(`- **Throughput ceiling:** ${st.maxThroughputRps} successful req/s (highest of any step).`);
  if (st.throughputPlateau)
    lines.push(
      `- **Throughput plateau:** about ${st.throughputPlateau.throughputRps} req/s from ${st.throughputPlateau.fromUsers} ${u} on, whatever the load.`,
    );
  lines.push(
    `- Load used: ${st.loadMinutes} ${u}-minutes${st.ramp === 'continuous' ? ", one continuous ramp (each step's users added to the running load)" : ''}.`,
  );
  if (st.startAboveCapacity)
    lines.push(
      `- **The start level (${st.steps.find((s) => s.status !== 'invalid')?.level} ${u}) was above capacity:** the search went down (halving, then up by the step size) to find the ceiling.`,
    );
  if (st.summary.stoppedBecause === 'no_capacity')
    lines.push('- **No capacity:** even the lowest level of the downward search failed.');
  if (st.summary.stoppedBecause === 'step_limit')
    lines.push(
      `- **Stopped at the step limit** (${st.steps.length} attempts, what one workflow history holds) before a breaking point.`,
    );
  lines.push(...waitLines(st.waits));
  lines.push(...degradationLines('How it degrades past the breaking point', st.degradation));
  const r = st.recoveryAfterLoad;
  if (r) {
    lines.push('', '### Recovery after load reduction', '');
    lines.push(
      r.recovered === true
        ? `- ✅ Back at ${r.level} ${u}, P95 and errors returned to that level's own figures (P95 ${ms(r.reference.p95Ms)}, ${pct(r.reference.errorRate)} errors) in **${r.timeS} s** (limit ${r.withinS} s).`
        : r.recovered === false
          ? `- ❌ **Did not recover** (P1): ${r.finding}.`
          : `- Not measured at ${r.level} ${u} (no data).`,
    );
    for (const g of r.gauges ?? [])
      lines.push(
        `- ${g.name}: ${g.before ?? 'n/a'} before the stress, ${g.after ?? 'n/a'} after the recovery${g.returned === false ? ' (**did not return**)' : ''}.`,
      );
  }
  const z = st.zones;
  const zones = [
    z.green ? `🟢 Green: up to ${z.green.upToUsers} ${u}` : undefined,
    z.yellow ? `🟡 Yellow: ${z.yellow.fromUsers}-${z.yellow.upToUsers} ${u}` : undefined,
    z.red ? `🔴 Red: ${z.red.fromUsers}+ ${u}` : undefined,
  ].filter(Boolean);
  if (zones.length) lines.push('', `**Safe operating zones:** ${zones.join(' · ')}`);
  if (st.endpointsAtBreakingPoint.length) {
    lines.push(
      '',
      `### Endpoint-specific failures at the breaking point (${st.breakingPoint?.users} ${u})`,
      '',
      '| Endpoint | Requests | Failures | Error Rate |',
      '|---|---|---|---|',
    );
    for (const e of [...st.endpointsAtBreakingPoint].sort((a, b) => b.errorRate - a.errorRate)) {
      lines.push(
        `| ${e.name} | ${e.requests.toLocaleString('en-US')} | ${e.errors.toLocaleString('en-US')} | ${e.errorRate >= 0.1 ? `**${pct(e.errorRate)}**` : pct(e.errorRate)} |`,
      );
    }
    const bp = st.steps.find((s) => s.status === 'fail');
    if (bp?.endpointErrors.length)
      lines.push(
        '',
        `Error types: ${bp.endpointErrors
          .slice(0, 8)
          .map(
            (e) =>
              `${e.count.toLocaleString('en-US')} × ${/^\d+$/.test(e.kind) ? `HTTP ${e.kind}` : e.kind} on ${e.endpoint}`,
          )
          .join('; ')}`,
      );
  }
  lines.push('');
  return lines;
}

/** The performance analysis, as the hand-run analysis wrote it: recommendations first, each with its evidence. */
function analysisMarkdown(a: Analysis): string[] {
  const lines = ['## Performance analysis', ''];
  if (a.recommendations.length) {
    lines.push('### Recommendations', '', '| Sev | Finding | Evidence | Recommendation |', '|---|---|---|---|');
    for (const r of a.recommendations)
      lines.push(`| ${r.severity} | ${oneLine(r.finding)} | ${oneLine(r.evidence)} | ${oneLine(r.recommendation)} |`);
    lines.push('');
  } else lines.push('_No recommendation: no finding measured calls for one._', '');
  const m = a.capacityModel;
  lines.push('### Capacity model (Universal Scalability Law)', '');
  if (m.evaluable) {
    lines.push(
      `- Fitted on ${m.points} levels: λ ${m.lambda} req/s per user, σ ${m.sigma} (contention), κ ${m.kappa} (coherency), R² ${m.r2}, error ${fixed(m.cvRmse * 100, 1)} % of the mean throughput.`,
      m.peakUsers !== null
        ? `- Predicted peak: **${m.peakUsers} users at ${m.peakThroughputRps} req/s**.`
        : `- No peak: throughput flattens without falling (no coherency cost)${m.peakThroughputRps !== null ? `, towards λ/σ = **${m.peakThroughputRps} req/s**` : ''}.`,
      ...(m.safeUsers !== undefined
        ? [
            `- Safe capacity (${Math.round((m.margin ?? 0) * 100)} % below the lower of the model's peak and the measured ceiling): ${m.safeUsers} users, ${m.safeThroughputRps} req/s.`,
          ]
        : []),
      '',
    );
  } else lines.push(`_Not evaluable: ${m.reason}._`, '');
  const d = a.degradation;
  lines.push('### Degradation past the breaking point', '');
  if (d.evaluable) {
    lines.push(
      `- Against ${d.baseline.label} (P50 ${ms(d.baseline.p50Ms)}, P95 ${ms(d.baseline.p95Ms)}): at the breaking point (${d.atBreakingPoint.users} ${d.unit}) P50 **${d.atBreakingPoint.p50x}x**, P95 **${d.atBreakingPoint.p95x}x**; at ${d.worst.users} ${d.unit}, P50 ${d.worst.p50x}x, P95 ${d.worst.p95x}x.`,
      `- Throughput there: ${d.throughputAtWorstRps} req/s against ${d.maxThroughputRps} at best: **${d.throughputLostPct} % lost**.`,
      '',
    );
  } else lines.push(`_${d.reason}._`, '');
  if (a.scaling.length) {
    lines.push(
      '### Scaling',
      '',
      `Linear ${a.linearUpToUsers !== null ? `up to ${a.linearUpToUsers} users` : 'nowhere'}${a.linearEndsAtUsers !== null ? `; it ends at ${a.linearEndsAtUsers} users` : ' over every level measured'}.`,
      '',
      '| Level | Users | Throughput | Per user | Efficiency |',
      '|---|---|---|---|---|',
      ...a.scaling.map(
        (p) =>
          `| ${p.label} | ${p.users} | ${fixed(p.throughputRps, 1)} req/s | ${p.perUserRps} req/s | ${Math.round(p.efficiency * 100)} %${p.linear ? '' : ' (not linear)'} |`,
      ),
      '',
    );
  }
  if (a.byOperation.length) {
    lines.push(
      '### Latency by operation type',
      '',
      '| Phase | Operation | Requests | Share | P50 | P95 | P99 |',
      '|---|---|---|---|---|---|---|',
    );
    for (const o of a.byOperation)
      lines.push(
        `| ${o.phase} | ${o.operation} | ${o.requests} | ${pct(o.share)} | ${ms(o.p50Ms ?? NaN)} | ${ms(o.p95Ms ?? NaN)} | ${ms(o.p99Ms ?? NaN)} |`,
      );
    lines.push('');
  }
  if (a.coldStart.length) {
    lines.push('### Cold start', '');
    for (const c of a.coldStart)
      lines.push(
        c.factor !== null
          ? `- ${c.phase}: first second P95 ${ms(c.firstSecondP95Ms ?? NaN)}, steady ${ms(c.steadyP95Ms ?? NaN)} (${c.factor}x)${c.flagged ? ' **cold start**' : ''}.`
          : `- ${c.phase}: not measured (${c.reason ?? 'no steady seconds'}).`,
      );
    lines.push('');
  }
  return lines;
}

function spikeMarkdown(sp: SpikeResult): string[] {
  const lines = ['## Spike and recovery', ''];
  lines.push('| | Users | P95 | Error Rate | Throughput |', '|---|---|---|---|---|');
  if (sp.baseline)
    lines.push(
      `| Before | ${sp.baselineUsers} | ${ms(sp.baseline.p95Ms)} | ${pct(sp.baseline.errorRate)} | ${fixed(sp.baseline.throughputRps, 1)} req/s |`,
    );
  if (sp.spike)
    lines.push(
      `| Spike | ${sp.users} | ${ms(sp.spike.p95Ms)} | ${pct(sp.spike.errorRate)} | ${fixed(sp.spike.throughputRps, 1)} req/s |`,
    );
  lines.push('');
  lines.push(
    sp.recovered
      ? `- ✅ Recovered in **${sp.recoveryTimeS} s** (target: within ${sp.withinS} s).`
      : `- ❌ **Did not recover within ${sp.withinS} s** (P1).`,
  );
  lines.push(`- Errors during the spike: ${sp.errorsDuringSpike.toLocaleString('en-US')}.`);
  lines.push(
    `- Target ${sp.crashed ? '**failed its health check** after the spike' : 'stayed healthy (health check passed after the spike)'}.`,
  );
  lines.push(...degradationLines('How it degrades under the spike', sp.degradation));
  lines.push(...waitLines(sp.waits));
  lines.push('');
  return lines;
}

const CHECK_ICON: Record<CheckResult['status'], string> = {
  pass: '✅ pass',
  warn: '⚠️ warn',
  fail: '❌ **fail**',
  error: '❌ **error**',
  not_evaluable: '➖ not evaluable',
};

function evidenceText(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return (text.length > 160 ? `${text.slice(0, 157)}...` : text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function monitoringMarkdown(m: MonitoringResult): string[] {
  const lines = ['## Monitoring', ''];
  const target = m.maturity.targetLevel;
  lines.push(
    `**Monitoring maturity:** Level ${m.maturity.level} - ${m.maturity.label} (out of 5), target Level ${target} - ${MATURITY_LABELS[target]}${m.maturity.level >= target ? ' ✅' : ' ❌'}.`,
  );
  if (m.maturity.gaps.length)
    lines.push(
      `${m.maturity.level >= target ? 'Next level needs' : 'Missing for the next level'}: ${m.maturity.gaps.join('; ')}.`,
    );
  lines.push('', '| Check | Severity | Status | Evidence | Remediation |', '|---|---|---|---|---|');
  const order = { error: 0, fail: 1, warn: 2, not_evaluable: 3, pass: 4 };
  const sorted = [...m.checks].sort(
    (a, b) => order[a.status] - order[b.status] || a.severity.localeCompare(b.severity),
  );
  for (const c of sorted) {
    lines.push(
      `| ${c.title} (\`${c.id}\`) | ${c.severity} | ${CHECK_ICON[c.status]} | ${evidenceText(c.evidence.observed)} | ${evidenceText(c.remediation || '')} |`,
    );
  }
  lines.push('');
  return lines;
}

const secs = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${v} s`);

/** Texts as sentences: each ends with one full stop. */
const sentences = (texts: string[]) => texts.map((t) => `${t.replace(/[.\s]+$/, '')}.`).join(' ');

function faultsMarkdown(f: ReportFaults): string[] {
  const cell = (t: string) => oneLine(t).replace(/\|/g, '\\|');
  const lines = ['## Failure scenarios', ''];
  if (f.drills.length) {
    lines.push(
      '### Fault drills under load',
      '',
      `| ${DRILL_HEAD.join(' | ')} |`,
      `|${DRILL_HEAD.map(() => '---|').join('')}`,
      ...f.drills.map(
        (d) =>
          `| ${drillCells(d)
            .map((c) => cell(markedText(c)))
            .join(' | ')} |`,
      ),
      '',
      ...f.drills.map((d) => `- **${cell(d.name)}**: ${sentences(drillDetails(d).map(cell))}`),
      '',
    );
  }
  if (f.resources) {
    lines.push(
      '### Resource stability',
      '',
      `| ${RESOURCE_HEAD.join(' | ')} |`,
      `|${RESOURCE_HEAD.map(() => '---|').join('')}`,
      `| ${resourceCells(f.resources)
        .map((c) => cell(markedText(c)))
        .join(' | ')} |`,
      '',
      sentences([cell(resourceWindow(f.resources))]),
      ...(f.resources.notes.length ? ['', ...f.resources.notes.map((n) => `- ${sentences([cell(n)])}`)] : []),
      '',
    );
  }
  if (f.drills.length || f.resources) lines.push(`_${faultDefaultsText()}_`, '');
  if (f.dependencies.length || f.errors.length) {
    lines.push('### Dependency benchmarks', '');
    if (f.dependencies.length) {
      lines.push(
        '| Operation | Status | Operations | In flight | Mean | P50 | P95 | P99 | Ops/s | Target | Why |',
        '|---|---|---|---|---|---|---|---|---|---|---|',
      );
      for (const r of f.dependencies)
        lines.push(
          `| ${r.name} | ${r.status === 'pass' ? '✅' : r.status === 'fail' ? '❌' : '⚠️ error'} | ${r.operations} | ${r.concurrency} | ${ms(r.meanMs)} | ${ms(r.p50Ms)} | ${ms(r.p95Ms)} | ${ms(r.p99Ms)} | ${fixed(r.opsPerS, 0)} | ${dependencyTargetText(r.targets)} | ${cell(r.reasons.join('; '))} |`,
        );
      lines.push('');
    }
    for (const e of f.errors) lines.push(`- **${e.dependency}** not benchmarked: ${oneLine(e.error)}`);
    if (f.errors.length) lines.push('');
    lines.push(
      `_Targets: the hand-run campaign's (${defaultTargetsText()}) unless the campaign file sets its own._`,
      '',
    );
  }
  if (!f.drills.length && !f.resources && !f.dependencies.length && !f.errors.length)
    lines.push('_No dependency benchmark, fault drill or resource check ran._', '');
  return lines;
}

function backupMarkdown(b: BackupResult): string[] {
  const lines = ['## Backup and recovery drills', ''];
  lines.push(
    '| Drill | Status | Dump | Restore | Verify | RTO (target) | RPO (target) | Recovery (target) |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const d of b.drills) {
    lines.push(
      `| ${d.title} | ${CHECK_ICON[d.status]} | ${secs(d.timings?.dumpS)} | ${secs(d.timings?.restoreS)} | ${secs(d.timings?.verifyS)} | ${d.rtoS !== undefined ? `${secs(d.rtoS)} (${secs(d.targets?.maxRestoreS)})` : ''} | ${d.rpoS !== undefined ? `${secs(d.rpoS)} (${secs(d.targets?.rpoTargetS)})` : ''} | ${d.timings?.recoveryS !== undefined || d.targets?.maxRecoveryS !== undefined ? `${secs(d.timings?.recoveryS)} (${secs(d.targets?.maxRecoveryS)})` : ''} |`,
    );
  }
  for (const d of b.drills) {
    const mismatched = (d.tables ?? []).filter((t) => !t.match);
    if (d.tables?.length)
      lines.push(
        '',
        `**${d.title}:** ${d.tables.length - mismatched.length}/${d.tables.length} tables proven identical to the source at the dump's snapshot (row count and content hash).`,
      );
    if (mismatched.length) {
      lines.push('', '| Table | Source rows | Restored rows | Match |', '|---|---|---|---|');
      for (const t of mismatched)
        lines.push(
          `| ${t.name} | ${t.sourceRows.toLocaleString('en-US')} | ${t.restoredRows === null ? 'missing' : t.restoredRows.toLocaleString('en-US')} | ❌ |`,
        );
    }
    if (d.findings.length) lines.push('', ...d.findings.map((f) => `- ${f.severity} (${d.title}): ${f.message}`));
  }
  lines.push('');
  return lines;
}

/** The pauses until a run window opened, one line each. */
function waitLines(waits: WindowWait[] | undefined): string[] {
  return (waits ?? []).map(
    (w) =>
      `- Waited ${formatWait(w.waitedS)} before ${w.before} for the run window (${w.reason === 'closed' ? 'outside it' : 'too little of it left'}): ${w.from} → ${w.until}.`,
  );
}

function formatWait(s: number): string {
  const minutes = Math.round(s / 60);
  const h = Math.floor(minutes / 60);
  return h ? `${h} h ${minutes % 60} min` : `${minutes} min`;
}

/** The executive summary: decision, score, what blocks it (with remediation), headline figures. */
function executiveSummary(report: ReportJson): string[] {
  const { verdict } = report;
  const lines = ['## Executive summary', ''];
  const items = report.checklist?.items ?? [];
  const headline: string[] = [];
  if (items.length)
    headline.push(
      `${items.filter((i) => i.status === 'pass').length} of ${items.length} checklist items pass, ${items.filter((i) => i.status === 'waived').length} waived`,
    );
  if (report.stress?.breakingPoint)
    headline.push(
      `breaking point ${report.stress.breakingPoint.users} ${report.stress.model === 'closed' ? 'users' : 'req/s'} (${report.stress.breakingPoint.criterion})`,
    );
  if (report.stress?.capacityCeiling)
    headline.push(
      `capacity ceiling ${report.stress.capacityCeiling.users} ${report.stress.model === 'closed' ? 'users' : 'req/s'} at ${report.stress.capacityCeiling.goodputRps} req/s`,
    );
  const model = report.analysis?.capacityModel;
  if (model?.evaluable && model.peakUsers !== null)
    headline.push(`model peak ${model.peakUsers} users at ${model.peakThroughputRps} req/s`);
  else if (model?.evaluable && model.peakThroughputRps !== null)
    headline.push(`model: no peak, throughput towards ${model.peakThroughputRps} req/s`);
  const rec = report.stress?.recoveryAfterLoad;
  if (rec?.recovered) headline.push(`recovered ${rec.timeS} s after load reduction`);
  else if (rec?.recovered === false) headline.push('did not recover after load reduction');
  const rto = report.backup?.drills.find((d) => d.id === 'postgres')?.rtoS;
  if (rto != null) headline.push(`database RTO ${rto} s`);
  if (report.comparison)
    headline.push(
      `${report.comparison.findings.length} regression${report.comparison.findings.length === 1 ? '' : 's'} since ${report.comparison.previous.id}`,
    );
  lines.push(
    `**Overall assessment:** ${ICON[verdict.decision] ?? ''} **${verdict.decision}**${verdict.scorePct === null ? '' : `, ${verdict.scorePct}% ready`}${headline.length ? `; ${headline.join('; ')}` : ''}.`,
    '',
  );
  if (report.checklist?.aborted)
    lines.push(
      `**Aborted** by ${oneLine(report.checklist.aborted)}: NO_GO whatever the score; what ran is reported below.`,
      '',
    );
  const blockers = report.checklist?.blockers;
  if (blockers?.length) {
    // Grouped by category, as the first screen of report.html shows them.
    const categoryOf = new Map((report.checklist?.items ?? []).map((i) => [i.id, i.category as string]));
    const groups = new Map<string, typeof blockers>();
    for (const b of blockers)
      groups.set(categoryOf.get(b.id) ?? 'Other', [...(groups.get(categoryOf.get(b.id) ?? 'Other') ?? []), b]);
    lines.push(`### Blockers (${blockers.length})`, '');
    let n = 0;
    for (const [category, list] of groups) {
      lines.push(`**${category}** (${list.length})`, '');
      for (const b of list)
        lines.push(
          `${++n}. **${b.severity} ${oneLine(b.title)}** (\`${b.id}\`, ${b.status}): ${oneLine(b.evidence.observed ?? '')}${b.remediation ? `. Remediation: ${oneLine(b.remediation)}` : ''}`,
        );
      lines.push('');
    }
  } else if (verdict.blockers.length) {
    lines.push('### Blocking reasons', '');
    verdict.blockers.forEach((b, i) => lines.push(`${i + 1}. ${b}`));
    lines.push('');
  }
  return lines;
}

const ITEM_ICON: Record<string, string> = {
  pass: '✅',
  warn: '🟡',
  fail: '❌',
  error: '⚠️',
  not_run: '⏭️',
  stale: '⌛',
  waived: '📝',
  not_evaluable: '❔',
};

/** Text on one line (user-provided names, reasons and evidence must not break a list or a table). */
const oneLine = (t: string) => t.replace(/[\r\n]+/g, ' ');

function checklistMarkdown(c: NonNullable<ReportJson['checklist']>): string[] {
  const cell = (t: string) => oneLine(t).replace(/\|/g, '\\|');
  const lines = [
    '## Checklist',
    '',
    `Scored ${c.scoredAt}: GO from ${c.policy.goAt}%, NO_GO under ${c.policy.conditionalAt}% or with any P0 item, or more than ${c.policy.maxP1Blockers} P1 item(s), not passing or waived.`,
    '',
  ];
  lines.push('| Item | Category | Severity | Status | Evidence |', '|---|---|---|---|---|');
  for (const i of c.items)
    lines.push(
      `| ${cell(i.title)} (\`${i.id}\`) | ${i.category} | ${i.severity} | ${ITEM_ICON[i.status] ?? ''} ${i.status} | ${cell(i.reason)} |`,
    );
  lines.push('');
  if (c.missing.length) lines.push(`Manual items not attested: ${c.missing.map((m) => `\`${m}\``).join(', ')}.`, '');
  // The waivers that applied when scored (not expired, on an item that did not pass on its own).
  const applied = c.items.filter((i) => i.waiver);
  if (applied.length) {
    lines.push('Waivers in force:', '');
    for (const i of applied)
      lines.push(
        `- \`${i.id}\` waived by ${oneLine(i.waiver!.by)} until ${i.waiver!.expires}: ${oneLine(i.waiver!.reason)}`,
      );
    lines.push('');
  }
  return lines;
}

function comparisonMarkdown(c: NonNullable<ReportJson['comparison']>): string[] {
  const lines = [
    '## Since the previous campaign',
    '',
    `Compared with \`${c.previous.id}\` (${c.previous.startedAt}, ${c.previous.decision ?? 'no decision'}${c.previous.scorePct !== undefined ? `, ${c.previous.scorePct}%` : ''}).`,
    '',
  ];
  if (c.findings.length) {
    lines.push('**Regressions:**', '');
    for (const f of c.findings) lines.push(`- ${f}`);
    lines.push('');
  } else
    lines.push(
      `No regression beyond 5%: ${c.metrics.length} comparable figure${c.metrics.length === 1 ? '' : 's'} (same phase names, users and load model) and every checklist item by id.`,
      '',
    );
  if (c.fixed.length) lines.push(`Fixed: ${c.fixed.map((f) => `\`${f.id}\` (${f.was} -> ${f.now})`).join(', ')}.`, '');
  if (c.added.length) lines.push(`New items: ${c.added.map((f) => `\`${f.id}\``).join(', ')}.`, '');
  if (c.metrics.length) {
    lines.push('| Metric | Previous | Now | Change |', '|---|---|---|---|');
    for (const m of c.metrics)
      lines.push(
        `| ${m.metric} | ${m.previous} | ${m.current} | ${m.changePct > 0 ? '+' : ''}${m.changePct}%${m.regression ? ' ❌' : ''} |`,
      );
    lines.push('');
  }
  return lines;
}
