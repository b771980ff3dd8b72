/**
 * The comparison of a campaign with the previous campaign of the same target: item-level diff of the
 * checklist (regressed, fixed, added) and performance changes beyond 5 % (p95, throughput, breaking
 * point, RTO) as findings. Pure.
 */
import type { Comparison, EvaluatedItem, ItemStatus, MetricChange } from './checklist-types';
import type { EndpointShift } from './distribution';

/** A change worse than this (percent) is a regression. */
const REGRESSION_PCT = 5;

/** The parts of report.json a comparison reads. */
export interface ComparableReport {
  campaign: { id: string; name: string; startedAt: string };
  verdict: { decision: string; scorePct: number | null };
  checklist?: { items: EvaluatedItem[] };
  baseline: {
    phases: Array<{
      name: string;
      model: string;
      users: number;
      throughputRps: number;
      latencyMs: { p95: number };
      endpoints?: Array<{ name: string }>;
    }>;
  };
  stress?: {
    model: string;
    steps: Array<{ level: number }>;
    breakingPoint?: { users: number };
    maxThroughputRps: number;
  };
  spike?: { recoveryTimeS: number | null };
  backup?: { drills: Array<{ id: string; rtoS?: number | null }> };
}

const cleared = (s: ItemStatus) => s === 'pass' || s === 'waived';
const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * Compares `current` with `previous`, the previous campaign of the same target. `latency`: the endpoints of like
 * phases compared as distributions (report/histograms.ts); a phase's p95 then regresses only when one of its
 * endpoints did (significant and beyond the tolerance), not on a 5 % move that run-to-run noise makes.
 */
export function compareCampaigns(
  previous: ComparableReport,
  current: ComparableReport,
  latency?: EndpointShift[],
): Comparison {
  const before = new Map((previous.checklist?.items ?? []).map((i) => [i.id, i]));
  const regressed: Comparison['regressed'] = [];
  const fixed: Comparison['fixed'] = [];
  const added: Comparison['added'] = [];
  for (const item of current.checklist?.items ?? []) {
    const was = before.get(item.id);
    if (!was) added.push({ id: item.id, title: item.title, now: item.status });
    else if (cleared(was.status) && !cleared(item.status))
      regressed.push({ id: item.id, title: item.title, was: was.status, now: item.status });
    else if (!cleared(was.status) && cleared(item.status))
      fixed.push({ id: item.id, title: item.title, was: was.status, now: item.status });
  }

  const metrics: MetricChange[] = [];
  /** `higherIsWorse`: latency, recovery time, RTO; otherwise lower is worse (throughput, breaking point). */
  const track = (
    metric: string,
    prev: number | null | undefined,
    cur: number | null | undefined,
    higherIsWorse: boolean,
  ) => {
    if (prev == null || cur == null || !Number.isFinite(prev) || !Number.isFinite(cur) || prev === 0) return;
    const changePct = round1(((cur - prev) / prev) * 100);
    metrics.push({
      metric,
      previous: prev,
      current: cur,
      changePct,
      regression: higherIsWorse ? changePct > REGRESSION_PCT : changePct < -REGRESSION_PCT,
    });
  };
  // Only like with like: a baseline phase of the same name, users and model; stress of the same model.
  for (const p of current.baseline.phases) {
    const was = previous.baseline.phases.find((x) => x.name === p.name);
    if (!was || was.users !== p.users || was.model !== p.model) continue;
    track(`baseline.${p.name}.p95Ms`, was.latencyMs.p95, p.latencyMs.p95, true);
    const judged = latency?.filter((x) => x.phase === p.name) ?? [];
    const m = metrics[metrics.length - 1];
    // The distributions decide only when every endpoint the phase measured now was compared, conclusively;
    // otherwise the 5 % rule on the p95 stands.
    const measuredNow = p.endpoints?.map((e) => e.name);
    const complete =
      judged.length > 0 &&
      judged.every((x) => x.verdict !== 'inconclusive') &&
      (!measuredNow || measuredNow.every((name) => judged.some((x) => x.endpoint === name)));
    if (complete && m?.metric === `baseline.${p.name}.p95Ms`) {
      m.regression = judged.some((x) => x.verdict === 'regressed');
      m.judgedBy = 'distribution';
    }
    track(`baseline.${p.name}.throughputRps`, was.throughputRps, p.throughputRps, false);
  }
  const [ps, cs] = [previous.stress, current.stress];
  if (ps && cs && ps.model === cs.model) {
    // No breaking point: it held up to the highest level tested, the least its breaking point can be.
    const held = (s: NonNullable<ComparableReport['stress']>) =>
      s.breakingPoint?.users ?? Math.max(0, ...s.steps.map((x) => x.level));
    if (ps.breakingPoint || cs.breakingPoint) track('stress.breakingPoint.users', held(ps), held(cs), false);
    track('stress.maxThroughputRps', ps.maxThroughputRps, cs.maxThroughputRps, false);
  }
  track('spike.recoveryTimeS', previous.spike?.recoveryTimeS, current.spike?.recoveryTimeS, true);
  for (const d of current.backup?.drills ?? []) {
    track(`backup.${d.id}.rtoS`, previous.backup?.drills.find((x) => x.id === d.id)?.rtoS, d.rtoS, true);
  }

  const findings = [
    ...regressed.map((r) => `checklist item ${r.id} regressed: ${r.was} -> ${r.now}`),
    ...(latency ?? [])
      .filter((x) => x.verdict === 'regressed')
      .map((x) => `endpoint ${x.endpoint} in phase ${x.phase} regressed: ${x.reason}`),
    ...metrics
      .filter((m) => m.regression)
      .map((m) => `${m.metric} regressed ${m.changePct > 0 ? '+' : ''}${m.changePct}% (${m.previous} -> ${m.current})`),
  ];
  return {
    previous: {
      id: previous.campaign.id,
      name: previous.campaign.name,
      startedAt: previous.campaign.startedAt,
      decision: previous.verdict.decision,
      ...(previous.verdict.scorePct !== null ? { scorePct: previous.verdict.scorePct } : {}),
    },
    regressed,
    fixed,
    added,
    metrics,
    ...(latency ? { latency } : {}),
    findings,
  };
}
