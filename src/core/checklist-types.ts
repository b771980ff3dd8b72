/**
 * Types of the production-readiness checklist, its scoring and the comparison with the previous
 * campaign of the same target. Shared by the pure scoring code, the workflow, the store and the report.
 */
import type { EndpointShift } from './distribution';

/** Checklist categories, as in the seed's readiness assessment. */
export const CATEGORIES = [
  'Infrastructure',
  'Security',
  'Performance',
  'Monitoring',
  'Backup/Recovery',
  'Documentation',
  'Operations',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * An item's status. Only `pass` (full weight) and `warn` (half) earn points; `waived` is taken out of the
 * maximum; every other status earns nothing (fail closed).
 */
export const ITEM_STATUSES = ['pass', 'warn', 'fail', 'error', 'not_run', 'stale', 'waived', 'not_evaluable'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** How an automated item finds its evidence. */
export type Binding =
  /** A piece of evidence by id (`phase.stress`, `prometheus.rules-loaded`, `backup.postgres`, ...); `*` matches any run of characters, the worst status wins. */
  | { check: string }
  /** A comparison over report.json fields, e.g. `stress.breakingPoint.users >= 300`. */
  | { expr: string };

/** A checklist item after the defaults and the campaign file were merged. */
export interface ChecklistItem {
  id: string;
  title: string;
  category: Category;
  severity: Severity;
  weight: number;
  /** Automated items are bound to evidence; manual ones need a person's attestation. */
  automated?: Binding;
  manual?: true;
  /** Evidence older than this (ISO 8601 duration text as in the config, e.g. `30d`) is `stale`. */
  maxEvidenceAge?: string;
  /** What to do when the item does not pass. */
  remediation?: string;
}

/** A person's attestation of a manual item (a workflow update). */
export interface Attestation {
  itemId: string;
  by: string;
  at: string;
  evidence?: string;
  note?: string;
}

/** A waiver: the item is taken out of the score until it expires (a workflow update). */
export interface Waiver {
  itemId: string;
  by: string;
  at: string;
  reason: string;
  expires: string;
}

/** What an item was judged on. */
export interface ItemEvidence {
  /** Where the evidence comes from: an evidence id, an expression, or `attestation`. */
  source: string;
  /** What was observed, in words or figures. */
  observed?: string;
  expected?: string;
  collectedAt?: string;
}

/** One item, evaluated. */
export interface EvaluatedItem {
  id: string;
  title: string;
  category: Category;
  severity: Severity;
  weight: number;
  kind: 'automated' | 'manual';
  status: ItemStatus;
  /** Points earned (pass = weight, warn = weight / 2, else 0; waived items are out of the maximum). */
  earned: number;
  evidence: ItemEvidence;
  attestation?: Attestation;
  waiver?: Waiver;
  remediation?: string;
  /** Why the status, in one line. */
  reason: string;
}

/** One category's score. `scorePct` is null when every item of it is waived (nothing to score). */
export interface CategoryScore {
  name: Category;
  scorePct: number | null;
  earned: number;
  max: number;
  items: number;
  /** P0/P1 items of the category that block. */
  blockers: number;
}

/** A P0/P1 item that blocks the decision, with its evidence. */
export interface Blocker {
  id: string;
  title: string;
  severity: Severity;
  status: ItemStatus;
  evidence: ItemEvidence;
  remediation?: string;
}

/** The verdict policy (`verdict` section of the campaign file). */
export interface VerdictPolicy {
  goAt: number;
  conditionalAt: number;
  maxP1Blockers: number;
  /** Optional weights per category; the overall score is then the weighted mean of category scores. */
  categoryWeights?: Partial<Record<Category, number>>;
}

/** The scored checklist: what the verdict is computed from, stored with the campaign. */
export interface ChecklistEvaluation {
  /** When it was scored: staleness and waiver expiry are judged at this instant (rescore reuses it). */
  scoredAt: string;
  policy: VerdictPolicy;
  /** The checklist as the campaign resolved it when it started (rescore uses these, not today's defaults). */
  definitions: ChecklistItem[];
  /** When each phase ended (workflow time): the age of its evidence. */
  phaseEndedAt: Partial<Record<string, string>>;
  /** Set when the campaign was aborted: who and why (the verdict is NO_GO). */
  aborted?: string;
  items: EvaluatedItem[];
  categories: CategoryScore[];
  decision: 'GO' | 'CONDITIONAL_GO' | 'NO_GO';
  scorePct: number;
  blockers: Blocker[];
  reasons: string[];
  /** Manual items neither attested nor waived when scored. */
  missing: string[];
  attestations: Attestation[];
  waivers: Waiver[];
}

/** One metric compared with the previous campaign of the same target. */
export interface MetricChange {
  metric: string;
  previous: number;
  current: number;
  /** Relative change in percent (positive: the value grew). */
  changePct: number;
  /**
   * Worse in the direction that matters: for a phase's p95 with stored histograms on both sides, some endpoint of the
   * phase regressed by the distribution test (significant and beyond the tolerance: `latency`); otherwise worse by
   * more than 5 %.
   */
  regression: boolean;
  /** How `regression` was decided. */
  judgedBy?: 'distribution' | 'threshold';
}

/** The comparison with the previous campaign of the same target. */
export interface Comparison {
  previous: { id: string; name: string; startedAt: string; decision?: string; scorePct?: number };
  /** Items that passed (or were waived) before and do not now. */
  regressed: Array<{ id: string; title: string; was: ItemStatus; now: ItemStatus }>;
  /** Items that did not pass before and do now. */
  fixed: Array<{ id: string; title: string; was: ItemStatus; now: ItemStatus }>;
  /** Items not in the previous campaign's checklist. */
  added: Array<{ id: string; title: string; now: ItemStatus }>;
  metrics: MetricChange[];
  /** Each endpoint of each like phase compared as distributions (Mann-Whitney U and effect size). */
  latency?: EndpointShift[];
  /** One line per regression (items and metrics), for the summary. */
  findings: string[];
}
