/**
 * The published schema of report.json (schemaVersion 2), in zod; `npm run build` writes it as JSON Schema
 * to schema/report.schema.json. The decision, the scores, the checklist and the comparison are described
 * field by field (what gates and dashboards read); the phase sections are objects whose documented
 * fields are required and whose further fields may grow within a schema version.
 */
import { z } from 'zod';
import { CATEGORIES, ITEM_STATUSES, SEVERITIES } from '../core/checklist-types';
import { REPORT_SCHEMA_VERSION } from './model';
import { PHASES } from '../core/types';

const iso = z.iso.datetime({ offset: true });
const category = z.enum(CATEGORIES);
const severity = z.enum(SEVERITIES);
const itemStatus = z.enum(ITEM_STATUSES);
const latency = z.looseObject({ p50: z.number(), p95: z.number(), p99: z.number(), max: z.number(), avg: z.number() });

const evidence = z.strictObject({
  source: z.string(),
  observed: z.string().optional(),
  expected: z.string().optional(),
  collectedAt: z.string().optional(),
});
const attestation = z.strictObject({
  itemId: z.string(),
  by: z.string(),
  at: iso,
  evidence: z.string().optional(),
  note: z.string().optional(),
});
const waiver = z.strictObject({ itemId: z.string(), by: z.string(), at: iso, reason: z.string(), expires: iso });

/** A number that is null when it was not measured (or did not happen). */
const maybe = z.number().nullable();
const drillCheck = z.enum(['pass', 'fail', 'not_evaluable']);

/** A fault drill under load (core/drills.ts FaultDrillResult): times in seconds, null when it did not happen. */
const faultDrill = z.looseObject({
  name: z.string(),
  status: z.enum(['pass', 'fail', 'error']),
  /** Why the drill could not run or finish (status error). */
  error: z.string().optional(),
  /** From the fault (the stop command's end) to the restart (the start command's start). */
  downS: maybe,
  /** From the fault to the first failed request. */
  impactS: maybe,
  /** From the fault to each channel's detection; a channel not watched is not measured (null). */
  detection: z.looseObject({
    healthS: maybe,
    alertFiringS: maybe,
    alertDeliveredS: maybe,
    firstS: maybe,
    watched: z.looseObject({ health: z.boolean(), alertFiring: z.boolean(), alertDelivered: z.boolean() }),
  }),
  /** Failed requests' p95 over the outage against its limit (ms); breakerOpened null: too few failures to tell. */
  failFast: z.looseObject({
    p95ErrorMs: maybe,
    firstP95ErrorMs: maybe,
    laterP95ErrorMs: maybe,
    breakerOpened: z.boolean().nullable(),
    limitMs: maybe,
  }),
  /** From the restart to the first success and to the pre-fault level again. */
  recovery: z.looseObject({ firstSuccessS: maybe, backToBaselineS: maybe }),
  fullyRecovered: z.boolean(),
  reference: z.looseObject({ p95Ms: maybe, errorRate: z.number(), requests: z.number() }),
  whileDown: z.array(
    z.looseObject({
      endpoint: z.string(),
      requests: z.number(),
      errors: z.number(),
      errorRate: z.number(),
      okP95Ms: maybe,
      errorP95Ms: maybe,
    }),
  ),
  targets: z.looseObject({ detectS: z.number(), recoverS: z.number() }),
  checks: z.looseObject({ detected: drillCheck, recovered: drillCheck, failFast: drillCheck }),
  /** Per second, `t` seconds from the fault (negative before it). */
  timeline: z.array(z.looseObject({ t: z.number(), requests: z.number(), errors: z.number(), p95Ms: maybe })),
  /** When the restart began, in seconds from the fault. */
  users: z.number(),
  restored: z.boolean(),
  notes: z.array(z.string()),
});

/** Resource stability over a baseline phase (core/drills.ts ResourceStability): null figures were not measured. */
const resourceStability = z.looseObject({
  phase: z.string(),
  from: z.string(),
  to: z.string(),
  memoryGrowthMb: maybe,
  memorySlopeMbPerHour: maybe,
  memoryFirstMb: maybe,
  memoryLastMb: maybe,
  cpuAvgPct: maybe,
  cpuPeakPct: maybe,
  samples: z.looseObject({ memory: z.number(), cpu: z.number() }),
  limits: z.looseObject({ maxMemoryGrowthMb: z.number(), maxCpuAvgPct: z.number(), maxCpuPeakPct: z.number() }),
  checks: z.looseObject({ memory: drillCheck, cpuAvg: drillCheck, cpuPeak: drillCheck }),
  notes: z.array(z.string()),
});

const phaseOutcome = z.strictObject({
  status: z.enum(['pass', 'fail', 'error', 'not_run', 'aborted']),
  reason: z.string().optional(),
});

/** report.json. */
export const reportSchema = z.strictObject({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  generatedAt: iso,
  campaign: z.strictObject({
    id: z.string(),
    name: z.string(),
    owner: z.string().optional(),
    target: z.string(),
    configHash: z.string(),
    startedAt: iso,
    finishedAt: iso.optional(),
  }),
  verdict: z.union([
    z.strictObject({
      decision: z.enum(['GO', 'CONDITIONAL_GO', 'NO_GO']),
      scorePct: z.number().min(0).max(100),
      blockers: z.array(z.string()),
      reasons: z.array(z.string()),
    }),
    z.strictObject({
      decision: z.literal('PENDING'),
      scorePct: z.null(),
      blockers: z.array(z.string()),
      reasons: z.array(z.string()),
    }),
  ]),
  baseline: z.strictObject({
    thresholds: z.array(z.string()),
    phases: z.array(
      z.looseObject({
        name: z.string(),
        model: z.enum(['closed', 'open']),
        users: z.number(),
        durationS: z.number(),
        requests: z.number(),
        failedRequests: z.number(),
        throughputRps: z.number(),
        errorRate: z.number(),
        latencyMs: latency,
        statusCounts: z.record(z.string(), z.number()),
        endpoints: z.array(
          z.looseObject({
            name: z.string(),
            requests: z.number(),
            errorRate: z.number(),
            statusCounts: z.record(z.string(), z.number()),
            latencyMs: latency,
          }),
        ),
        /** User journeys (scenario.flows): iterations, those with a failed step, the passed ones' duration. */
        flows: z
          .array(
            z.looseObject({
              name: z.string(),
              iterations: z.number(),
              failedIterations: z.number(),
              failedRate: z.number(),
              failedSteps: z.record(z.string(), z.number()),
              latencyMs: latency,
            }),
          )
          .optional(),
        /** How each data source's rows were handed out (scenario.data). */
        data: z
          .array(z.strictObject({ name: z.string(), rowsUsed: z.number(), wrapped: z.number(), exhausted: z.number() }))
          .optional(),
        errors: z.array(z.strictObject({ endpoint: z.string(), kind: z.string(), count: z.number() })),
        timeline: z.array(
          z.strictObject({
            second: z.number(),
            /** Seconds the point covers when the timeline was downsampled there (totals over it); absent: one. */
            widthS: z.number().int().min(2).optional(),
            requests: z.number(),
            errors: z.number(),
            p50Ms: z.number().nullable(),
            p95Ms: z.number().nullable(),
            p99Ms: z.number().nullable(),
          }),
        ),
        assessment: z.enum(['pass', 'fail', 'invalid', 'aborted']),
        resumed: z.boolean(),
      }),
    ),
  }),
  stress: z
    .looseObject({
      model: z.enum(['closed', 'open']),
      steps: z.array(
        z.looseObject({
          level: z.number(),
          throughputRps: z.number(),
          goodputRps: z.number(),
          errorRate: z.number(),
          latencyMs: latency,
          status: z.enum(['pass', 'fail', 'invalid']),
        }),
      ),
      breakingPoint: z.looseObject({ users: z.number(), criterion: z.string() }).optional(),
      capacityCeiling: z.looseObject({ users: z.number(), goodputRps: z.number() }).optional(),
      maxThroughputRps: z.number(),
      /** The first step already failed: the search went down to find the ceiling. */
      startAboveCapacity: z.boolean().optional(),
      /** How the target failed past the breaking point: graceful is null when nothing failed to judge. */
      degradation: z
        .looseObject({
          graceful: z.boolean().nullable(),
          errorClasses: z.strictObject({
            fastRejections: z.number(),
            withRetryAfter: z.number(),
            timeouts: z.number(),
            transport: z.number(),
            otherServerErrors: z.number(),
            other: z.number(),
          }),
          failFast: z.boolean().nullable(),
          informativeErrors: z.boolean().nullable(),
        })
        .optional(),
      /** Back at the first passing level after the stress: recovered (null: not measured) and in how many seconds. */
      recoveryAfterLoad: z
        .looseObject({
          level: z.number(),
          recovered: z.boolean().nullable(),
          timeS: z.number().nullable(),
          withinS: z.number(),
        })
        .optional(),
    })
    .optional(),
  spike: z.looseObject({ users: z.number(), recovered: z.boolean(), recoveryTimeS: z.number().nullable() }).optional(),
  monitoring: z
    .looseObject({
      checks: z.array(
        z.looseObject({
          id: z.string(),
          title: z.string(),
          severity,
          status: z.string(),
          evidence: z.looseObject({ endpoint: z.string(), collectedAt: z.string() }),
        }),
      ),
      maturity: z.looseObject({ level: z.number(), targetLevel: z.number(), label: z.string() }),
    })
    .optional(),
  backup: z
    .looseObject({
      drills: z.array(
        z.looseObject({
          id: z.string(),
          title: z.string(),
          status: z.string(),
          rtoS: z.number().nullable().optional(),
          rpoS: z.number().nullable().optional(),
        }),
      ),
    })
    .optional(),
  faults: z
    .looseObject({
      dependencies: z.array(
        z.looseObject({
          name: z.string(),
          dependency: z.string(),
          kind: z.enum(['redis', 'postgres']),
          operation: z.string(),
          operations: z.number().int(),
          errors: z.number().int(),
          meanMs: z.number(),
          p50Ms: z.number(),
          p95Ms: z.number(),
          p99Ms: z.number(),
          opsPerS: z.number(),
          status: z.enum(['pass', 'fail', 'error']),
          reasons: z.array(z.string()),
        }),
      ),
      errors: z.array(z.looseObject({ dependency: z.string(), error: z.string() })),
      /** Fault drills under load; empty when none ran. */
      drills: z.array(faultDrill),
      /** Resource stability over a baseline phase; absent when not judged. */
      resources: resourceStability.optional(),
    })
    .optional(),
  categories: z
    .array(
      z.strictObject({
        name: category,
        scorePct: z.number().min(0).max(100).nullable(),
        earned: z.number(),
        max: z.number(),
        items: z.number().int(),
        blockers: z.number().int(),
      }),
    )
    .optional(),
  checklist: z
    .strictObject({
      scoredAt: iso,
      policy: z.strictObject({
        goAt: z.number(),
        conditionalAt: z.number(),
        maxP1Blockers: z.number().int(),
        categoryWeights: z.partialRecord(category, z.number()).optional(),
      }),
      items: z.array(
        z.strictObject({
          id: z.string(),
          title: z.string(),
          category,
          severity,
          weight: z.number().positive(),
          kind: z.enum(['automated', 'manual']),
          status: itemStatus,
          earned: z.number(),
          evidence,
          attestation: attestation.optional(),
          waiver: waiver.optional(),
          remediation: z.string().optional(),
          reason: z.string(),
        }),
      ),
      blockers: z.array(
        z.strictObject({
          id: z.string(),
          title: z.string(),
          severity,
          status: itemStatus,
          evidence,
          remediation: z.string().optional(),
        }),
      ),
      missing: z.array(z.string()),
      attestations: z.array(attestation),
      waivers: z.array(waiver),
      aborted: z.string().optional(),
    })
    .optional(),
  comparison: z
    .strictObject({
      previous: z.strictObject({
        id: z.string(),
        name: z.string(),
        startedAt: iso,
        decision: z.string().optional(),
        scorePct: z.number().optional(),
      }),
      regressed: z.array(z.strictObject({ id: z.string(), title: z.string(), was: itemStatus, now: itemStatus })),
      fixed: z.array(z.strictObject({ id: z.string(), title: z.string(), was: itemStatus, now: itemStatus })),
      added: z.array(z.strictObject({ id: z.string(), title: z.string(), now: itemStatus })),
      metrics: z.array(
        z.strictObject({
          metric: z.string(),
          previous: z.number(),
          current: z.number(),
          changePct: z.number(),
          regression: z.boolean(),
          judgedBy: z.enum(['distribution', 'threshold']).optional(),
        }),
      ),
      /** Each endpoint of each like phase, compared as distributions (Mann-Whitney U and effect size). */
      latency: z
        .array(
          z.looseObject({
            phase: z.string(),
            endpoint: z.string(),
            verdict: z.enum(['regressed', 'improved', 'unchanged', 'inconclusive']),
            pValue: z.number().nullable(),
            p50Change: z.number().nullable(),
            p95Change: z.number().nullable(),
            reason: z.string(),
          }),
        )
        .optional(),
      findings: z.array(z.string()),
    })
    .optional(),
  /** The performance analysis: by operation type, cold start, scaling, the capacity model, degradation, recommendations. */
  analysis: z
    .looseObject({
      byOperation: z.array(
        z.looseObject({
          phase: z.string(),
          operation: z.enum(['read', 'write', 'delete', 'other']),
          requests: z.number(),
          share: z.number(),
          p50Ms: z.number().nullable(),
          p95Ms: z.number().nullable(),
          p99Ms: z.number().nullable(),
        }),
      ),
      coldStart: z.array(
        z.looseObject({
          phase: z.string(),
          firstSecondP95Ms: z.number().nullable(),
          steadyP95Ms: z.number().nullable(),
          factor: z.number().nullable(),
          flagged: z.boolean(),
          reason: z.string().optional(),
        }),
      ),
      scaling: z.array(
        z.looseObject({
          source: z.enum(['baseline', 'stress']),
          users: z.number(),
          throughputRps: z.number(),
          perUserRps: z.number(),
          efficiency: z.number(),
          linear: z.boolean(),
        }),
      ),
      capacityModel: z.union([
        z.looseObject({
          evaluable: z.literal(true),
          lambda: z.number(),
          sigma: z.number(),
          kappa: z.number(),
          peakUsers: z.number().nullable(),
          peakThroughputRps: z.number().nullable(),
          r2: z.number(),
          cvRmse: z.number(),
        }),
        z.looseObject({ evaluable: z.literal(false), reason: z.string() }),
      ]),
      degradation: z.union([
        z.looseObject({
          evaluable: z.literal(true),
          atBreakingPoint: z.looseObject({ users: z.number(), p50x: z.number(), p95x: z.number() }),
          throughputLostPct: z.number(),
        }),
        z.looseObject({ evaluable: z.literal(false), reason: z.string() }),
      ]),
      recommendations: z.array(
        z.looseObject({
          severity: z.enum(['P1', 'P2', 'P3']),
          finding: z.string(),
          evidence: z.string(),
          recommendation: z.string(),
        }),
      ),
    })
    .optional(),
  phases: z.strictObject(
    Object.fromEntries(PHASES.map((p) => [p, phaseOutcome])) as Record<(typeof PHASES)[number], typeof phaseOutcome>,
  ),
});
