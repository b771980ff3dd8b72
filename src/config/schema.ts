import { DEFAULT_RESOURCE_LIMITS } from '../core/drills';
import { z } from 'zod';
import { parseDurationMs } from '../core/duration';
import { DEFAULT_RESOLUTION, resolutionProblem, type TimelineResolution } from '../core/downsample';
import { isThreshold, parseThreshold, splitScope } from '../core/thresholds';
import { parseCapturePath, placeholders } from '../core/template';
import { isTimeZone, parseClock, windowLengthMinutes } from '../core/window';
import { parseExpr, resolveChecklist } from '../core/checklist';
import { CATEGORIES, SEVERITIES } from '../core/checklist-types';
import { SCRATCH_DB_NAME } from '../core/backup';
import { PHASES } from '../core/types';
import { baseUrlProblems, pathProblems } from '../core/egress';
import { isReservedEnvName } from '../core/secrets';

/**
 * The campaign file schema (`apiVersion: readiness/v1`). Objects are strict: an unknown key is an
 * error that names it, so a typo never silently disables a phase. Durations and thresholds stay
 * strings here (so the JSON Schema is exact) and are checked by refinements.
 */

const duration = (what: string) =>
  z
    .string({
      error: (iss) =>
        iss.input === undefined
          ? `${what} is required`
          : `invalid ${what}: expected a string with a unit, e.g. 30s or 2m`,
    })
    .refine((s) => parseDurationMs(s) !== undefined, {
      message: `invalid ${what}: expected a number and a unit, e.g. 500ms, 30s, 2m, 1h, 3d`,
    });

const positiveDuration = (what: string) =>
  // An unparseable value already has its problem; only a parseable zero is "not greater than zero".
  duration(what).refine((s) => (parseDurationMs(s) ?? 1) > 0, { message: `${what} must be greater than zero` });

const threshold = z.string().superRefine((s, ctx) => {
  const parsed = parseThreshold(s);
  if (!isThreshold(parsed)) ctx.addIssue({ code: 'custom', message: parsed.error });
});

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** A value taken from the worker's environment at run time; the value itself never enters the workflow. */
const fromEnvSchema = z.strictObject({
  fromEnv: z
    .string()
    .regex(ENV_NAME, 'must be an environment variable name such as API_TOKEN')
    .refine((n) => !isReservedEnvName(n), {
      message:
        "names the worker's own configuration (DATABASE_URL, TEMPORAL_*, READINESS_*), which a campaign can never read",
    }),
});

const SECRET_HEADER = /authorization|cookie|token|secret|api[-_]?key|password/i;

/**
 * Headers: literal values or `{ fromEnv }` references. Names that look secret need a reference; in a request
 * (`templates`), a value made of placeholders and at most a scheme word (`Bearer {{token}}`) is allowed too, and
 * crossFieldProblems checks its placeholders come from a capture or a data file, never from scenario.vars.
 */
const headersOf = (templates: boolean) =>
  z
    .record(
      z.string().regex(/^[A-Za-z0-9-]+$/, 'invalid header name: letters, digits and "-" only'),
      z.union([z.string(), fromEnvSchema]),
    )
    .superRefine((headers, ctx) => {
      for (const [name, value] of Object.entries(headers)) {
        // A value made of placeholders (a captured token, a data file's column) and at most a scheme word holds no
        // secret literally: `Bearer {{token}}`.
        const templated =
          templates &&
          typeof value === 'string' &&
          placeholders(value).length > 0 &&
          /^\s*(?:bearer|basic|token)?\s*$/i.test(value.replace(/\{\{[^}]*\}\}/g, ''));
        if (typeof value === 'string' && SECRET_HEADER.test(name) && !templated) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: templates
              ? `header "${name}" looks secret: give it as { fromEnv: VAR_NAME } (or from a capture or data column, e.g. "Bearer {{token}}"), never as a literal value`
              : `header "${name}" looks secret: give it as { fromEnv: VAR_NAME }, never as a literal value`,
          });
        }
      }
    });

const headersSchema = headersOf(false);

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const name = (what: string) =>
  z.string().regex(NAME_RE, `${what} must be lowercase letters, digits, "-" or "_" (max 63 chars)`);

const varSchema = z.union(
  [
    z
      .strictObject({ range: z.tuple([z.number().int(), z.number().int()]) })
      .refine((v) => v.range[0] <= v.range[1], { message: 'range must be [min, max] with min <= max' }),
    z.strictObject({ list: z.array(z.union([z.string(), z.number()])).min(1, 'list needs at least one value') }),
  ],
  { message: 'a variable is either { range: [min, max] } or { list: [values...] }' },
);

const httpStatus = z.number().int().min(100).max(599);

/** A path appended to a base URL: it must keep the request on the base's host (no `//host`, no `\`). */
const appendedPath = (what: string) =>
  z.string().superRefine((p, ctx) => {
    const q = p.indexOf('?');
    for (const problem of pathProblems(q === -1 ? p : p.slice(0, q)))
      ctx.addIssue({ code: 'custom', message: `${what} ${problem}` });
  });

const requestSchema = z.strictObject({
  name: name('request name'),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']),
  path: appendedPath('path'),
  weight: z.number().int().min(1).max(1000).default(1),
  json: z.unknown().optional(),
  headers: headersOf(true).optional(),
  /** Values to capture from a JSON response into the virtual user's session, e.g. `{ goalId: id }`. */
  capture: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid variable name'),
      z.string().refine((p) => parseCapturePath(p) !== undefined, {
        message: 'invalid capture path: expected e.g. id, data.items[0].id',
      }),
    )
    .optional(),
  expect: z
    .strictObject({
      status: z.union([httpStatus, z.array(httpStatus).min(1)]).optional(),
      bodyContains: z.string().min(1).optional(),
    })
    .optional(),
});

/** A think time after a step of a flow. */
const stepThink = { thinkTime: duration('thinkTime').optional() };

/**
 * One step of a flow: a request of `scenario.requests` by name, or a request written in place (the fields of a
 * request but its weight), each with an optional think time after it.
 */
const stepSchema = z.union(
  [
    z.strictObject({ request: name('request'), ...stepThink }),
    requestSchema.omit({ weight: true }).extend(stepThink).strict(),
  ],
  {
    message: 'a step is either { request: <name of a scenario.requests entry> } or a request (name, method, path, ...)',
  },
);

/**
 * A user journey: a virtual user picks a flow by weight and runs its steps in order, its captures carried from step
 * to step. A failed step ends the iteration (`onStepFailure: stop`, the default) or is counted and the flow goes on.
 */
const flowSchema = z.strictObject({
  name: name('flow name'),
  weight: z.number().int().min(1).max(1000).default(1),
  /** The think time between steps (a step's own thinkTime wins). Default: scenario.thinkTime. */
  thinkTime: duration('thinkTime').optional(),
  onStepFailure: z.enum(['stop', 'continue']).default('stop'),
  steps: z.array(stepSchema).min(1, 'a flow needs at least one step').max(50, 'a flow has at most 50 steps'),
});

/** Names a data source goes by in `{{source.column}}`. */
const DATA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A data file (CSV with a header row, or JSON lines) whose rows feed the virtual users as `{{source.column}}`. The CLI
 * reads it, checks the columns used exist, and stores it in the results store by its SHA-256 (`ref`, set by the CLI):
 * the rows never enter a workflow's history.
 */
const dataSourceSchema = z.strictObject({
  file: z.string().min(1, 'file is required: a CSV (with a header row) or JSON-lines file'),
  /**
   * sequential: each iteration takes the next row, wrapping; random: any row; unique: a row no other iteration of the
   * run takes, across load threads and generators.
   */
  mode: z.enum(['sequential', 'random', 'unique']).default('sequential'),
  /** unique: when every row has been handed out, stop the user (counted) or start again from the first rows. */
  onExhausted: z.enum(['stop', 'wrap']).default('stop'),
  /** Set by the CLI: the SHA-256 of the rows as stored, their count and columns. */
  ref: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'ref is the SHA-256 the CLI sets')
    .optional(),
  rows: z.number().int().min(1).optional(),
  columns: z.array(z.string()).optional(),
});

const stageSchema = z.strictObject({
  target: z.number().min(0, 'target rate must be >= 0').max(1_000_000),
  duration: positiveDuration('duration'),
});

const phaseSchema = z
  .strictObject({
    name: name('phase name'),
    /** closed: N users with think time (the seed's "N users"); open: a fixed arrival rate. */
    model: z.enum(['closed', 'open']).default('closed'),
    users: z.number().int().min(1, 'users must be at least 1').max(100_000, 'users must be at most 100000').optional(),
    /**
     * Closed model: users start evenly over this time. Default: a tenth of the duration, at most 5 s (no herd of
     * users all sending their first request in the same millisecond); `0s` starts them all at once.
     */
    rampUp: duration('rampUp').optional(),
    rate: z.number().min(0, 'rate must be >= 0').max(1_000_000, 'rate must be at most 1000000').optional(),
    stages: z.array(stageSchema).optional(),
    maxInFlight: z.number().int().min(1).max(1_000_000).optional(),
    duration: positiveDuration('duration'),
    /** Split this phase across K load generators (`readiness worker --load` processes). */
    generators: z.number().int().min(1).max(64).default(1),
  })
  .superRefine((p, ctx) => {
    if (p.model === 'closed' && p.users === undefined)
      ctx.addIssue({ code: 'custom', path: ['users'], message: 'users is required for the closed model' });
    if (p.model === 'closed' && (p.rate !== undefined || p.stages !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: [p.rate !== undefined ? 'rate' : 'stages'],
        message: 'rate and stages belong to the open model (set model: open)',
      });
    if (p.model === 'open' && p.rate === undefined && !p.stages?.length)
      ctx.addIssue({ code: 'custom', path: ['rate'], message: 'the open model needs a rate (req/s) or stages' });
    if (p.model === 'open' && p.users !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['users'],
        message: 'users belongs to the closed model; the open model uses rate and maxInFlight',
      });
  });

/** A threshold with an optional scope after it: `p(95)<2000 {flow: checkout}` or `{endpoint: login}`. */
const scopedThreshold = z.string().superRefine((s, ctx) => {
  const parsed = parseThreshold(splitScope(s).expr);
  if (!isThreshold(parsed)) ctx.addIssue({ code: 'custom', message: parsed.error });
});

const thresholdEntry = z
  .union([
    scopedThreshold,
    z.strictObject({
      threshold,
      endpoint: name('endpoint').optional(),
      /** Judged on a flow's journeys: their duration, their failed share, their rate. */
      flow: name('flow').optional(),
      abortOnFail: z.boolean().default(false),
    }),
  ])
  .refine((t) => typeof t === 'string' || !(t.endpoint && t.flow), {
    message: 'a threshold is scoped to an endpoint or to a flow, not both',
  });

/** A stop criterion (`error_rate>0.01`, `p(95)>1000`): the step fails when it holds. */
const stopCriterion = threshold.refine(
  (s) => {
    const t = parseThreshold(s);
    return !isThreshold(t) || t.metric.kind !== 'percentile' || [50, 95, 99].includes(t.metric.percentile);
  },
  { message: 'stop criteria use p(50), p(95) or p(99)' },
);

const clock = (what: string) =>
  z
    .string()
    .refine((s) => parseClock(s) !== undefined, { message: `invalid ${what}: expected 24-hour "HH:MM", e.g. 22:00` });

/** A daily window (local wall-clock time in an IANA zone) that steps may run in; end < start wraps past midnight. */
const windowSchema = z
  .strictObject({
    start: clock('start'),
    end: clock('end'),
    timezone: z
      .string()
      .refine(isTimeZone, { message: 'unknown time zone: expected an IANA name such as Europe/Berlin or UTC' }),
  })
  .refine((w) => w.start !== w.end, {
    path: ['end'],
    message: 'end must differ from start (a window of zero or 24 hours)',
  });

/** A recovery needs `windows` good windows of `window` in a row: `within` shorter than that could never see one. */
function recoveryFits(r: { within?: string; windows: number; window: string }, ctx: z.RefinementCtx): void {
  if (r.within === undefined) return;
  const withinMs = parseDurationMs(r.within) ?? 0;
  const neededMs = r.windows * (parseDurationMs(r.window) ?? 0);
  if (neededMs > withinMs) {
    ctx.addIssue({
      code: 'custom',
      path: ['recovery', 'within'],
      message: `recovery.within (${r.within}) is shorter than windows x window (${r.windows} x ${r.window}): a recovery could never be seen`,
    });
  }
}

/** Whole seconds (the timeline's grid is one second). */
const wholeSeconds = (what: string, positive: boolean) =>
  (positive ? positiveDuration(what) : duration(what)).refine((t) => (parseDurationMs(t) ?? 0) % 1000 === 0, {
    message: `${what} must be a whole number of seconds`,
  });

const timelineSchema = z
  .strictObject({
    perSecondFor: wholeSeconds('perSecondFor', false).default('15m'),
    tiers: z
      .array(z.strictObject({ after: wholeSeconds('after', false), every: wholeSeconds('every', true) }))
      .max(8, 'at most 8 tiers')
      .default([
        { after: '15m', every: '10s' },
        { after: '6h', every: '1m' },
      ]),
    keepAroundEvents: wholeSeconds('keepAroundEvents', false).default('30s'),
    maxEventDetail: wholeSeconds('maxEventDetail', false).default('30m'),
  })
  .superRefine((t, ctx) => {
    const problem = resolutionProblem(resolutionOf(t));
    if (problem) ctx.addIssue({ code: 'custom', path: ['tiers'], message: problem });
  });

/** The timeline resolution a campaign asks for (core/downsample.ts's shape, in seconds). */
export function resolutionOf(
  t:
    | {
        perSecondFor: string;
        tiers: Array<{ after: string; every: string }>;
        keepAroundEvents: string;
        maxEventDetail: string;
      }
    | undefined,
): TimelineResolution {
  if (!t) return DEFAULT_RESOLUTION;
  const s = (d: string) => Math.round((parseDurationMs(d) ?? 0) / 1000);
  return {
    fullS: s(t.perSecondFor),
    tiers: t.tiers.map((x) => ({ fromS: s(x.after), widthS: s(x.every) })),
    eventMarginS: s(t.keepAroundEvents),
    maxEventSeconds: s(t.maxEventDetail),
  };
}

const stressSchema = z
  .strictObject({
    /** linear: start, +step, ... until a step fails; adaptive: double until failure, then bisect. */
    mode: z.enum(['linear', 'adaptive']).default('linear'),
    /** Adaptive mode: stop bisecting when the passing and failing levels are within this ratio. */
    resolution: z.number().gt(0).max(1).default(0.05),
    /** closed: levels are users; open: levels are arrivals per second. */
    model: z.enum(['closed', 'open']).default('closed'),
    startUsers: z.number().int().min(1).max(100_000).default(200),
    stepUsers: z.number().int().min(1).max(100_000).default(100),
    stepDuration: positiveDuration('stepDuration').default('2m'),
    maxUsers: z.number().int().min(1).max(100_000).default(2_000),
    stopWhen: z
      .array(stopCriterion)
      .min(1, 'stopWhen needs at least one criterion')
      .default(['error_rate>0.01', 'p(95)>1000']),
    /** The start of each step that is not judged (connections warming, queues filling). */
    warmup: duration('warmup').default('0s'),
    /**
     * Continuous ramp: how long the users (or the rate) added for a step take to arrive, while the step before's
     * keep running; with a run window (each step starts from no load), how long all of a step's users take to arrive.
     * Not judged. Default: a tenth of stepDuration, 1-5 s.
     */
    ramp: duration('ramp').optional(),
    /**
     * Recovery after load reduction: after the last step, the load goes back to the first passing level; latency
     * and errors must come back within `tolerance` of that level's own figures, for `windows` windows of `window`,
     * within `within`.
     */
    recovery: z
      .strictObject({
        /** Default: three steps' time, at least 15 s, at most 1 min. */
        within: positiveDuration('within').optional(),
        windows: z.number().int().min(1).max(100).default(3),
        window: positiveDuration('window').default('2s'),
        tolerance: z.number().min(0).max(10).default(0.2),
      })
      .default({ windows: 3, window: '2s', tolerance: 0.2 }),
    /** Steps only start inside this daily window, and only when they can finish before it closes. */
    window: windowSchema.optional(),
    /**
     * Target telemetry: PromQL queries (against monitoring.prometheus) sampled at the end of each step, e.g.
     * connections in use; with `max`, a value at or above 90 % of it is reported as saturated.
     */
    telemetry: z
      .array(
        z.strictObject({
          name: name('telemetry name'),
          query: z.string().min(1, 'query must be a PromQL expression'),
          max: z.number().positive().optional(),
        }),
      )
      .default([]),
  })
  .superRefine((s, ctx) => {
    recoveryFits(s.recovery, ctx);
    if (s.maxUsers < s.startUsers)
      ctx.addIssue({ code: 'custom', path: ['maxUsers'], message: 'maxUsers must be >= startUsers' });
    if ((parseDurationMs(s.warmup) ?? 0) >= (parseDurationMs(s.stepDuration) ?? 0))
      ctx.addIssue({ code: 'custom', path: ['warmup'], message: 'warmup must be shorter than stepDuration' });
    if (s.ramp !== undefined && (parseDurationMs(s.ramp) ?? 0) > (parseDurationMs(s.stepDuration) ?? 0))
      ctx.addIssue({ code: 'custom', path: ['ramp'], message: 'ramp must not be longer than stepDuration' });
    const stepMs = (parseDurationMs(s.warmup) ?? 0) + (parseDurationMs(s.stepDuration) ?? 0);
    if (
      s.window &&
      parseClock(s.window.start) !== undefined &&
      parseClock(s.window.end) !== undefined &&
      s.window.start !== s.window.end &&
      windowLengthMinutes(s.window) * 60_000 < stepMs
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['window'],
        message: `the window (${windowLengthMinutes(s.window)} min) is shorter than one step (warmup + stepDuration): no step could ever run`,
      });
    }
  });

const spikeSchema = z
  .strictObject({
    users: z.number().int().min(1).max(100_000),
    duration: positiveDuration('duration'),
    /** The stable level before and after the spike. */
    baselineUsers: z.number().int().min(1).max(100_000).default(10),
    baselineDuration: positiveDuration('baselineDuration').default('30s'),
    recovery: z
      .strictObject({
        /** How long after the spike the target has to recover. */
        within: positiveDuration('within').default('2m'),
        /** Consecutive good windows that count as recovered. */
        windows: z.number().int().min(1).max(100).default(3),
        window: positiveDuration('window').default('5s'),
        /** Allowed p95 increase (ratio) and error-rate increase (percentage points / 100) over the baseline. */
        tolerance: z.number().min(0).max(10).default(0.2),
      })
      .default({ within: '2m', windows: 3, window: '5s', tolerance: 0.2 }),
    /** The whole spike test (baseline, spike, recovery) only starts inside this window and must fit in it. */
    window: windowSchema.optional(),
  })
  .superRefine((s, ctx) => {
    recoveryFits(s.recovery, ctx);
    const totalMs =
      (parseDurationMs(s.baselineDuration) ?? 0) +
      (parseDurationMs(s.duration) ?? 0) +
      (parseDurationMs(s.recovery.within) ?? 0);
    if (
      s.window &&
      parseClock(s.window.start) !== undefined &&
      parseClock(s.window.end) !== undefined &&
      s.window.start !== s.window.end &&
      windowLengthMinutes(s.window) * 60_000 < totalMs
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['window'],
        message: `the window (${windowLengthMinutes(s.window)} min) is shorter than the spike test (baselineDuration + duration + recovery.within)`,
      });
    }
  });

/**
 * A configured base URL: http(s), without credentials (they go in headers, from the environment), a query or a
 * fragment (the tool appends its own paths to it).
 */
const httpUrl = (what: string) =>
  z.url({ protocol: /^https?$/, message: `${what} must be an http:// or https:// URL` }).superRefine((u, ctx) => {
    for (const problem of baseUrlProblems(u))
      if (!problem.startsWith('must be an http')) ctx.addIssue({ code: 'custom', message: `${what} ${problem}` });
  });

/** A Prometheus metric name, e.g. http_requests_total. */
const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'invalid metric name');

/** Where a system is and, when it needs them, headers (secrets by env reference only). */
const monitoringSchema = z.strictObject({
  /** The minimum maturity level (1..5) for the monitoring phase to pass; the hand-run campaign asked for 2. */
  targetLevel: z
    .number()
    .int()
    .min(1)
    .max(3, 'targetLevel must be at most 3: levels 4 and 5 are not assessed by automated checks')
    .default(2),
  /** How long one HTTP probe of a monitoring system may take. */
  timeout: positiveDuration('timeout').default('10s'),
  prometheus: z
    .strictObject({
      url: httpUrl('prometheus.url'),
      headers: headersSchema.optional(),
      /** Scrape jobs that must exist with at least one target. */
      requiredJobs: z.array(z.string().min(1)).default([]),
      /** Effective retention must be at least this. */
      minRetention: positiveDuration('minRetention').default('15d'),
      /** Alerting rules must carry a runbook_url annotation, and each URL must answer. */
      requireRunbooks: z.boolean().default(true),
    })
    .optional(),
  alertmanager: z
    .strictObject({
      url: httpUrl('alertmanager.url'),
      headers: headersSchema.optional(),
      /**
       * Delivery proof: the worker listens on `listen` (host:port) for the Alertmanager's webhook while it
       * posts a test alert labelled `readiness_probe="<unique id>"`; route that label to
       * `http://<listen>/` in the Alertmanager's config. `false` skips the proof: the delivery check is then
       * not evaluable (never a pass), and maturity cannot reach level 2.
       */
      probe: z
        .union([
          z.literal(false),
          z.strictObject({
            listen: z.string().regex(/^[^\s:/@]+:\d{1,5}$/, 'listen must be host:port, e.g. 127.0.0.1:9099'),
            timeout: positiveDuration('timeout')
              .refine((t) => (parseDurationMs(t) ?? 0) <= 600_000, {
                message: 'timeout must be at most 10m: the worker listens no longer than that',
              })
              .default('60s'),
          }),
        ])
        .default(false),
    })
    .optional(),
  /** Service /metrics endpoints that must answer in Prometheus text format and be scraped. */
  metricsEndpoints: z
    .array(
      z.strictObject({
        name: name('metrics endpoint name'),
        url: httpUrl('url'),
        headers: headersSchema.optional(),
        requiredMetrics: z.array(metricName).default([]),
      }),
    )
    .default([]),
  grafana: z.strictObject({ url: httpUrl('grafana.url'), headers: headersSchema.optional() }).optional(),
  loki: z
    .strictObject({
      url: httpUrl('loki.url'),
      headers: headersSchema.optional(),
      /** A LogQL stream selector that must return recent lines, e.g. {job="api"}. */
      query: z.string().min(1).optional(),
      /** How recent "recent" is. */
      since: positiveDuration('since').default('1h'),
      /**
       * LogQL selecting the target's error lines (e.g. {job="api"} |= "level=error"): counted over the campaign and
       * set against the errors the load was served (loki.error_logs), timed (loki.search), and, with trace marking
       * on, searched for a failed request's trace id (loki.trace_correlation).
       */
      errorQuery: z.string().min(1).max(2_000).optional(),
      /** Error lines per error served, at least (loki.error_logs). */
      minErrorLogRatio: z.number().min(0).max(100).default(0.5),
      /** The error query answers within this (loki.search). */
      maxSearchTime: positiveDuration('maxSearchTime').default('5s'),
      /** Loki's retention (limits_config.retention_period with the compactor's retention on) at least this. */
      minRetention: positiveDuration('minRetention').default('7d'),
    })
    .optional(),
  /**
   * Tracing proven end to end: the backend's query API (Jaeger or Grafana Tempo) answers; `probes` fresh requests to
   * the target, each with a sampled W3C traceparent, are found there within `visibleWithin`; the load's marked
   * requests (scenario.traceSample) found give the effective sample rate, against `expectedSampleRate`.
   */
  tracing: z
    .strictObject({
      type: z.enum(['jaeger', 'tempo'], { message: 'type must be jaeger or tempo' }),
      /** The query API: Jaeger's (e.g. http://jaeger:16686) or Tempo's (e.g. http://tempo:3200). */
      url: httpUrl('tracing.url'),
      headers: headersSchema.optional(),
      /** A service name the traces must show. */
      service: z.string().min(1).max(200).optional(),
      /** Probe requests sent to the target (its health path). */
      probes: z.number().int().min(1).max(20).default(3),
      visibleWithin: positiveDuration('visibleWithin')
        .refine((d) => (parseDurationMs(d) ?? 0) <= 600_000, { message: 'visibleWithin must be at most 10m' })
        .default('30s'),
      /** The share of marked requests the backend should keep (1: a parent-based sampler keeps what the caller sampled). */
      expectedSampleRate: z.number().min(0).max(1).default(1),
      sampleRateTolerance: z.number().min(0).max(1).default(0.15),
    })
    .optional(),
  /**
   * Alert accuracy under load: during the stress run, when a step breaches `when` (a stop-criterion style
   * condition on that step), the alert must reach pending or firing in Prometheus within `within`.
   */
  alertsUnderLoad: z
    .array(
      z.strictObject({
        alert: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'alert must be an alert rule name'),
        when: stopCriterion,
        within: positiveDuration('within').default('2m'),
      }),
    )
    .default([]),
});

/** Backup and recovery drills. Connections are environment references: their values never enter the workflow. */
const backupSchema = z.strictObject({
  postgres: z
    .strictObject({
      /** The source database URL, from the worker's environment. The drill only reads it. */
      connection: fromEnvSchema,
      /** Where the scratch database is created (default: the source's server); a URL from the environment. */
      scratchConnection: fromEnvSchema.optional(),
      /** The scratch database name (default readiness_drill_<id>); never the source's name. */
      scratchDatabase: z
        .string()
        .regex(SCRATCH_DB_NAME, 'scratchDatabase must be a lowercase identifier (letters, digits, _; max 63)')
        .optional(),
      /** Parallel restore jobs (pg_restore -j). */
      jobs: z.number().int().min(1).max(16).default(2),
      /** RTO target: restore start until the first validation query answers. */
      maxRestoreTime: positiveDuration('maxRestoreTime').default('30m'),
      /** RPO target: the newest automated backup must be younger than this. */
      rpoTarget: positiveDuration('rpoTarget').default('24h'),
      /** Where automated backups land (a directory of dump files, checked for the newest one). */
      backupDirectory: z.string().startsWith('/', 'backupDirectory must be an absolute path').optional(),
      /** Keep the scratch database after the drill (for inspection). */
      keep: z.boolean().default(false),
    })
    .optional(),
  redis: z
    .strictObject({
      /** redis:// URL from the worker's environment. */
      connection: fromEnvSchema,
      /** cache: losing data is tolerable (RDB-only is a warning); store: data must survive (needs AOF or RDB). */
      role: z.enum(['cache', 'store']).default('store'),
      /** How long to wait for BGSAVE. */
      timeout: positiveDuration('timeout').default('60s'),
    })
    .optional(),
  serviceRecovery: z
    .array(
      z.strictObject({
        name: name('service name'),
        /**
         * The kill/restart command, by name: one the operator declared whole (argv) on the worker in
         * READINESS_RECOVERY_COMMANDS. A campaign file never says what program runs.
         */
        command: z
          .string({
            error:
              'command must name a recovery command declared on the worker (READINESS_RECOVERY_COMMANDS), e.g. restart-api; argv arrays are no longer accepted in campaign files',
          })
          .regex(
            /^[a-z0-9][a-z0-9_-]{0,62}$/,
            'command must be the name of a recovery command declared on the worker (READINESS_RECOVERY_COMMANDS): lowercase letters, digits, "-" or "_"',
          ),
        /** Polled until it answers 2xx. */
        healthUrl: httpUrl('healthUrl'),
        maxRecoveryTime: positiveDuration('maxRecoveryTime').default('2m'),
      }),
    )
    .default([]),
});

const targetsSchema = z.strictObject({
  meanMs: z.number().positive().optional(),
  p95Ms: z.number().positive().optional(),
  p99Ms: z.number().positive().optional(),
  minOpsPerS: z.number().nonnegative().optional(),
});

/**
 * The faults phase. `dependencies`: direct benchmarks of the target's dependencies from the worker (Redis: PING, SET,
 * GET and a pub/sub round trip on keys and a channel of its own; Postgres: reads and writes in a scratch table it
 * creates and drops), each operation judged against the seeds' targets unless `targets` says otherwise.
 */
/**
 * A fault drill: under a light closed load of the campaign's scenario, the declared pair's stop command takes a
 * dependency down for `down`, then its start command brings it back. Measured: the users' impact, detection by the health endpoint, a
 * Prometheus alert and its Alertmanager delivery, fail-fast, recovery. Targets default to the seeds' (failure
 * detection < 6 s, recovery < 10 s: benchmark-completion-summary.md, "Redis Service Interruption").
 */
const drillSchema = z.strictObject({
  name: name('drill name'),
  /**
   * The dependency's stop and start commands, by the name of the pair the operator declared on the worker
   * (READINESS_FAULT_COMMANDS); a campaign file never says what program runs, nor pairs a stop with another start.
   */
  commands: z
    .string({
      error: 'commands must name a command pair declared on the worker (READINESS_FAULT_COMMANDS), e.g. redis',
    })
    .regex(
      /^[a-z0-9][a-z0-9_-]{0,62}$/,
      'commands must be the name of a command pair declared on the worker (READINESS_FAULT_COMMANDS): lowercase letters, digits, "-" or "_"',
    ),
  /** How long the dependency stays down. */
  down: positiveDuration('down')
    .refine((d) => (parseDurationMs(d) ?? 0) <= 3_600_000, { message: 'down must be at most 1h' })
    .default('10s'),
  /** Load before the fault, the reference that recovery is judged against. */
  before: positiveDuration('before')
    .refine((d) => (parseDurationMs(d) ?? 0) >= 3_000 && (parseDurationMs(d) ?? 0) <= 600_000, {
      message: 'before must be between 3s and 10m: it is the pre-fault reference',
    })
    .default('10s'),
  /** After the restart, how long recovery is awaited at most. */
  observe: positiveDuration('observe')
    .refine((d) => (parseDurationMs(d) ?? 0) >= 5_000 && (parseDurationMs(d) ?? 0) <= 3_600_000, {
      message: 'observe must be between 5s and 1h',
    })
    .default('60s'),
  /** The light load: closed model, this many users. */
  users: z.number().int().min(1).max(50).default(5),
  /** Their think time between requests. Default: the scenario's, at least 100 ms (a light load, not a stress). */
  thinkTime: duration('thinkTime').optional(),
  /** A Prometheus alert (its alertname) that should fire for this fault; needs monitoring.prometheus. */
  alert: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_:]{0,199}$/, 'alert must be a Prometheus alert name (letters, digits, _ and :)')
    .optional(),
  /** Detected (the earliest channel) within this. Default: the seeds' 6 s. */
  maxDetectionTime: positiveDuration('maxDetectionTime').default('6s'),
  /** Back to the pre-fault latency and error rate within this of the restart. Default: the seeds' 10 s. */
  maxRecoveryTime: positiveDuration('maxRecoveryTime').default('10s'),
  /**
   * Failed requests' p95 during the outage must not exceed this (ms). Default: the pre-fault p95 of successful
   * requests, within `tolerance`, + 5 ms: a failure no slower than a normal answer (the seeds' "fail-fast < 1 ms
   * when the circuit is open", seen from outside).
   */
  maxErrorP95Ms: z.number().positive().max(600_000).optional(),
  /** Back to baseline: p95 within this fraction above the pre-fault p95 (plus 5 ms) and errors within 1 point. */
  tolerance: z.number().min(0).max(10).default(0.5),
});

/**
 * Resource stability over a baseline phase (the seeds' endurance run): memory growth and CPU average and peak, read
 * from the target's Prometheus. Defaults from the seeds: < 50 MB growth, CPU < 80 % average and < 95 % peak
 * (benchmark-completion-summary.md, "Memory & Resource Usage").
 */
const resourcesSchema = z.strictObject({
  /** The baseline phase to judge; default the last one (the seeds' endurance). */
  phase: z.string().min(1).max(100).optional(),
  /** PromQL for the target's memory in bytes, e.g. process_resident_memory_bytes{job="api"} (series are summed). */
  memory: z.string().min(1).max(2_000).optional(),
  /** PromQL for the target's CPU in percent, e.g. 100 * rate(process_cpu_seconds_total{job="api"}[30s]). */
  cpu: z.string().min(1).max(2_000).optional(),
  maxMemoryGrowthMb: z.number().positive().default(DEFAULT_RESOURCE_LIMITS.maxMemoryGrowthMb),
  maxCpuAvgPct: z.number().positive().default(DEFAULT_RESOURCE_LIMITS.maxCpuAvgPct),
  maxCpuPeakPct: z.number().positive().default(DEFAULT_RESOURCE_LIMITS.maxCpuPeakPct),
});

const faultsSchema = z
  .strictObject({
    drills: z
      .array(drillSchema)
      .max(5, 'at most 5 drills: each one takes a dependency down in turn (run more in another campaign)')
      .superRefine((drills, ctx) => {
        const seen = new Set<string>();
        drills.forEach((d, i) => {
          if (seen.has(d.name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate name ${d.name}` });
          seen.add(d.name);
        });
      })
      .optional(),
    resources: resourcesSchema
      .refine((r) => r.memory || r.cpu, { message: 'resources needs a memory or a cpu query (or both)' })
      .optional(),
    dependencies: z
      .array(
        z.strictObject({
          name: name('dependency name'),
          kind: z.enum(['redis', 'postgres'], { message: 'kind must be redis or postgres' }),
          /** The dependency's URL (redis:// or postgres://), from the worker's environment. */
          connection: fromEnvSchema,
          /** Operations per operation type. */
          operations: z.number().int().min(10).max(100_000).default(2_000),
          /** Clients sending them at once. */
          concurrency: z.number().int().min(1).max(64).default(4),
          /** Per operation (ping, set, get, pubsub; read, write): targets replacing the seeds' defaults. */
          targets: z
            .partialRecord(z.enum(['ping', 'set', 'get', 'pubsub', 'read', 'write']), targetsSchema, {
              message: 'targets are keyed by operation: ping, set, get, pubsub (redis); read, write (postgres)',
            })
            .optional(),
        }),
      )
      .min(1, 'faults.dependencies needs at least one dependency')
      .max(10, 'at most 10 dependencies: each one is benchmarked in turn')
      .superRefine((deps, ctx) => {
        const seen = new Set<string>();
        deps.forEach((d, i) => {
          if (seen.has(d.name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate name ${d.name}` });
          seen.add(d.name);
          const allowed = d.kind === 'redis' ? ['ping', 'set', 'get', 'pubsub'] : ['read', 'write'];
          for (const op of Object.keys(d.targets ?? {}))
            if (!allowed.includes(op))
              ctx.addIssue({
                code: 'custom',
                path: [i, 'targets', op],
                message: `${d.kind} has no operation ${op} (its operations: ${allowed.join(', ')})`,
              });
        });
      })
      .optional(),
  })
  .refine((f) => f.dependencies?.length || f.drills?.length || f.resources, {
    message: 'faults needs dependencies, drills or resources',
  });

/** The hand-run campaign's baseline: smoke 10, normal 50, peak 200, endurance 100 users. */
const DEFAULT_BASELINE_PHASES = [
  { name: 'smoke', model: 'closed' as const, users: 10, duration: '1m', generators: 1 },
  { name: 'normal', model: 'closed' as const, users: 50, duration: '5m', generators: 1 },
  { name: 'peak', model: 'closed' as const, users: 200, duration: '5m', generators: 1 },
  { name: 'endurance', model: 'closed' as const, users: 100, duration: '30m', generators: 1 },
];

/** The campaign file, as validated. */
const ITEM_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** What evidence ids start with (README: "Evidence ids"); a check naming anything else is a typo. */
const EVIDENCE_PREFIXES = [
  'phase.',
  'baseline.',
  'stress.',
  'prometheus.',
  'alertmanager.',
  'metrics.',
  'grafana.',
  'loki.',
  'tracing.',
  'alerts_under_load.',
  'monitoring.maturity',
  'backup.',
  'faults.',
];

const bindingSchema = z.union(
  [
    z.strictObject({
      check: z
        .string()
        .regex(
          /^[A-Za-z0-9_.*-]+$/,
          'check must be an evidence id such as phase.stress or prometheus.rules_* (letters, digits, . _ - and * as a wildcard)',
        )
        .refine((id) => EVIDENCE_PREFIXES.some((p) => id.startsWith(p)), {
          message: `check must name evidence the campaign produces: an id starting with ${EVIDENCE_PREFIXES.join(', ')}`,
        }),
    }),
    z.strictObject({
      expr: z
        .string()
        .min(1)
        .superRefine((s, ctx) => {
          const parsed = parseExpr(s);
          if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
        }),
    }),
  ],
  { message: 'automated is either { check: <evidence id> } or { expr: <expression> }' },
);

const checklistItemSchema = z
  .strictObject({
    id: z.string().regex(ITEM_ID, 'item id must be lowercase letters, digits, ".", "-" or "_" (max 63 chars)'),
    title: z.string().min(1).max(200).optional(),
    category: z.enum(CATEGORIES, { message: `category must be one of ${CATEGORIES.join(', ')}` }).optional(),
    severity: z.enum(SEVERITIES, { message: 'severity must be P0, P1, P2 or P3' }).optional(),
    weight: z.number().positive('weight must be greater than zero').max(100).optional(),
    automated: bindingSchema.optional(),
    manual: z.literal(true, { message: 'manual must be true (omit it for automated items)' }).optional(),
    maxEvidenceAge: positiveDuration('maxEvidenceAge').optional(),
    remediation: z.string().max(2000).optional(),
  })
  .refine((i) => !(i.automated && i.manual), { message: 'an item is either automated or manual, not both' });

const checklistSchema = z
  .strictObject({
    /** Include the built-in checklist (the seed's production checklist and the phases' results). */
    defaults: z.boolean().default(true),
    items: z.array(checklistItemSchema).default([]),
    drop: z.array(z.string()).default([]),
    /** How long the campaign waits for manual items to be attested or waived (0: not at all). */
    attestationDeadline: duration('attestationDeadline').default('0s'),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.items.forEach((item, i) => {
      if (seen.has(item.id))
        ctx.addIssue({
          code: 'custom',
          path: ['items', i, 'id'],
          message: `duplicate item id "${item.id}" (also items[${seen.get(item.id)}])`,
        });
      seen.set(item.id, i);
    });
    for (const p of resolveChecklist(c, { drills: true, resources: true }).problems)
      ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });

const gateSchema = z.strictObject({
  before: z.enum(PHASES, { message: `before must be one of ${PHASES.join(', ')}` }),
  approval: z.literal('required', { message: 'approval must be "required"' }).default('required'),
  /** Who may approve or reject; anyone when absent. */
  approvers: z
    .array(z.string().trim().min(1, 'an approver needs a name'))
    .min(1, 'approvers, when given, needs at least one name')
    .optional(),
  timeout: positiveDuration('timeout').default('48h'),
  /** At the timeout: skip the phase (recorded not_run) and go on, or abort the campaign (NO_GO). */
  onTimeout: z.enum(['skip', 'abort'], { message: 'onTimeout must be skip or abort' }).default('abort'),
});

const gatesSchema = z.array(gateSchema).superRefine((gates, ctx) => {
  const seen = new Map<string, number>();
  gates.forEach((g, i) => {
    if (seen.has(g.before))
      ctx.addIssue({
        code: 'custom',
        path: [i, 'before'],
        message: `a gate before ${g.before} is already gates[${seen.get(g.before)}]`,
      });
    seen.set(g.before, i);
  });
});

const pct = (what: string, dflt: number) =>
  z.number().min(0, `${what} is a percentage (0-100)`).max(100, `${what} is a percentage (0-100)`).default(dflt);

const verdictSchema = z
  .strictObject({
    goAt: pct('goAt', 90),
    conditionalAt: pct('conditionalAt', 75),
    maxP1Blockers: z.number().int().min(0).default(0),
    categoryWeights: z
      .partialRecord(
        z.enum(CATEGORIES, { message: `category must be one of ${CATEGORIES.join(', ')}` }),
        z.number().min(0),
      )
      .optional(),
  })
  .refine((v) => v.conditionalAt <= v.goAt, {
    path: ['conditionalAt'],
    message: 'conditionalAt must not be above goAt',
  });

export const campaignSchema = z.strictObject({
  apiVersion: z.literal('readiness/v1', { message: 'apiVersion must be "readiness/v1"' }),
  name: name('name'),
  owner: z.string().max(200).optional(),
  target: z.strictObject({
    baseUrl: httpUrl('baseUrl').refine((u) => URL.canParse(u) && new URL(u).pathname === '/', {
      message: 'baseUrl must not have a path: request paths and healthPath are absolute paths on its host',
    }),
    healthPath: appendedPath('healthPath').default('/health'),
    headers: headersSchema.optional(),
    /**
     * Offer HTTP/2 to the target (undici's h2: TLS with ALPN, so an https baseUrl); a target that does not take it
     * is spoken to in HTTP/1.1. Each virtual user has its own connection, as a browser per origin.
     */
    http2: z.boolean().optional(),
  }),
  scenario: z
    .strictObject({
      thinkTime: duration('thinkTime').default('0s'),
      requestTimeout: positiveDuration('requestTimeout').default('10s'),
      /**
       * The share of requests (0-1) sent with a sampled W3C `traceparent` whose trace id the engine records: the
       * monitoring phase looks them up in the tracing backend (monitoring.tracing). Off by default.
       */
      traceSample: z
        .number()
        .min(0, 'traceSample is a ratio between 0 and 1')
        .max(1, 'traceSample is a ratio between 0 and 1')
        .optional(),
      vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid variable name'), varSchema).default({}),
      /** Independent requests picked by weight; with flows, the requests a step can name. */
      requests: z.array(requestSchema).default([]),
      flows: z.array(flowSchema).max(20, 'at most 20 flows').optional(),
      data: z
        .record(z.string().regex(DATA_NAME, 'invalid data source name: letters, digits and _'), dataSourceSchema)
        .refine((d) => Object.keys(d).length <= 5, { message: 'at most 5 data sources' })
        .optional(),
    })
    .refine((s) => s.requests.length > 0 || (s.flows?.length ?? 0) > 0, {
      path: ['requests'],
      message: 'scenario needs at least one request or one flow',
    }),
  baseline: z
    .strictObject({
      phases: z.array(phaseSchema).min(1, 'baseline needs at least one phase').default(DEFAULT_BASELINE_PHASES),
      thresholds: z.array(thresholdEntry).default([]),
    })
    .optional(),
  stress: stressSchema.optional(),
  spike: spikeSchema.optional(),
  monitoring: monitoringSchema.optional(),
  backup: backupSchema.optional(),
  faults: faultsSchema.optional(),
  checklist: checklistSchema.optional(),
  verdict: verdictSchema.optional(),
  gates: gatesSchema.optional(),
  settings: z
    .strictObject({
      heartbeatTimeout: positiveDuration('heartbeatTimeout').default('20s'),
      /**
       * How long baseline phases keep their per-second timeline (phases that run for days): per second for
       * `perSecondFor`, then windows of `every` from `after` on; `keepAroundEvents` of detail on each side of a second
       * with errors, at most `maxEventDetail` of it. Default: 15m per second, 10s windows, 1m windows after 6h.
       */
      timeline: timelineSchema.optional(),
    })
    .default({ heartbeatTimeout: '20s' }),
});

/** A validated campaign (defaults applied). This is what the workflow receives. */
export type Campaign = z.output<typeof campaignSchema>;
/** A campaign as written in a file (defaults not yet applied). */
export type CampaignFileInput = z.input<typeof campaignSchema>;
/** One request of the scenario. */
export type ScenarioRequest = Campaign['scenario']['requests'][number];
/** One flow of the scenario. */
export type ScenarioFlow = NonNullable<Campaign['scenario']['flows']>[number];
/** One step of a flow. */
export type FlowStep = ScenarioFlow['steps'][number];
/** One data source of the scenario. */
export type DataSource = NonNullable<Campaign['scenario']['data']>[string];
/** One baseline phase. */
export type BaselinePhase = NonNullable<Campaign['baseline']>['phases'][number];
/** One threshold entry: an expression, or an expression scoped to an endpoint and/or aborting on failure. */
export type ThresholdEntry = NonNullable<Campaign['baseline']>['thresholds'][number];
/** The monitoring section. */
export type MonitoringConfig = NonNullable<Campaign['monitoring']>;
/** The faults section. */
export type FaultsConfig = NonNullable<Campaign['faults']>;
/** The backup section. */
export type BackupConfig = NonNullable<Campaign['backup']>;
/** A header value: a literal or an environment reference. */
export type HeaderValue = string | { fromEnv: string };

type Loose = Record<string, unknown>;
const asArray = (v: unknown): Loose[] =>
  Array.isArray(v) ? v.filter((x): x is Loose => !!x && typeof x === 'object') : [];

/**
 * Checks that need several fields at once (duplicate names, undefined `{{vars}}`). They run on the
 * raw input, even when other fields are invalid, so a file's every problem is listed in one go.
 */
export function crossFieldProblems(raw: unknown): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  if (!raw || typeof raw !== 'object') return problems;
  const scenario = (raw as Loose).scenario as Loose | undefined;
  const vars = scenario && typeof scenario.vars === 'object' && scenario.vars ? (scenario.vars as Loose) : {};
  const data = scenario && typeof scenario.data === 'object' && scenario.data ? (scenario.data as Loose) : {};
  const requests = asArray(scenario?.requests);
  const flows = asArray(scenario?.flows);
  // Every request that can be sent: the independent ones, and the steps written in place in a flow.
  const sendable: Array<{ r: Loose; at: string }> = requests.map((r, i) => ({ r, at: `scenario.requests[${i}]` }));
  flows.forEach((f, i) =>
    asArray(f.steps).forEach((st, j) => {
      if (st.request === undefined) sendable.push({ r: st, at: `scenario.flows[${i}].steps[${j}]` });
    }),
  );
  const captured = new Set(
    sendable.flatMap(({ r }) => (r.capture && typeof r.capture === 'object' ? Object.keys(r.capture) : [])),
  );
  const seen = new Map<string, string>();
  for (const { r, at } of sendable) {
    if (typeof r.name === 'string') {
      if (seen.has(r.name))
        problems.push({
          path: `${at}.name`,
          message: `duplicate request name "${r.name}" (also at ${seen.get(r.name)}): requests and flow steps share names`,
        });
      else seen.set(r.name, at);
    }
    const where: Array<[string, unknown]> = [
      ['path', r.path],
      ['json', r.json],
    ];
    if (r.headers && typeof r.headers === 'object')
      for (const [k, v] of Object.entries(r.headers)) {
        where.push([`headers.${k}`, v]);
        // A secret-looking header's placeholders: a capture or a data column, never a value the file holds.
        if (typeof v === 'string' && SECRET_HEADER.test(k))
          for (const p of new Set(placeholders(v)))
            if (p in vars && !captured.has(p))
              problems.push({
                path: `${at}.headers.${k}`,
                message: `header "${k}" looks secret and takes {{${p}}} from scenario.vars, which the campaign file holds literally: capture it from a response, read it from a data file, or give the header as { fromEnv: VAR_NAME }`,
              });
      }
    for (const [field, value] of where) {
      for (const v of new Set(placeholdersIn(value))) {
        const dot = v.indexOf('.');
        if (dot > 0 && v.slice(0, dot) in data) continue; // a data column: checked against the file when it is read
        if (!(v in vars) && !captured.has(v)) {
          problems.push({
            path: `${at}.${field}`,
            message: `unknown variable "{{${v}}}": define it under scenario.vars, capture it from an earlier response, or name a scenario.data column`,
          });
        }
      }
    }
  }
  const flowNames = new Map<string, number>();
  const requestNames = new Set(requests.map((r) => r.name));
  flows.forEach((f, i) => {
    if (typeof f.name === 'string') {
      if (flowNames.has(f.name))
        problems.push({
          path: `scenario.flows[${i}].name`,
          message: `duplicate flow name "${f.name}" (also at index ${flowNames.get(f.name)})`,
        });
      else flowNames.set(f.name, i);
    }
    asArray(f.steps).forEach((st, j) => {
      if (typeof st.request === 'string' && !requestNames.has(st.request))
        problems.push({
          path: `scenario.flows[${i}].steps[${j}].request`,
          message: `unknown request "${st.request}": name one of scenario.requests (${[...requestNames].join(', ') || 'none'}) or write the request in place`,
        });
    });
  });
  const baseline = (raw as Loose).baseline as Loose | undefined;
  const phases = new Map<string, number>();
  (Array.isArray(baseline?.thresholds) ? (baseline.thresholds as unknown[]) : []).forEach((t, i) => {
    const scope =
      typeof t === 'string'
        ? splitScope(t)
        : t && typeof t === 'object'
          ? { endpoint: (t as Loose).endpoint, flow: (t as Loose).flow }
          : {};
    if (typeof scope.endpoint === 'string' && !seen.has(scope.endpoint)) {
      problems.push({
        path: `baseline.thresholds[${i}]${typeof t === 'string' ? '' : '.endpoint'}`,
        message: `unknown endpoint "${scope.endpoint}": use a request name from scenario.requests or a flow step`,
      });
    }
    if (typeof scope.flow === 'string' && !flowNames.has(scope.flow)) {
      problems.push({
        path: `baseline.thresholds[${i}]${typeof t === 'string' ? '' : '.flow'}`,
        message: `unknown flow "${scope.flow}": use a name from scenario.flows`,
      });
    }
  });
  asArray(baseline?.phases).forEach((p, i) => {
    if (typeof p.name !== 'string') return;
    if (phases.has(p.name))
      problems.push({
        path: `baseline.phases[${i}].name`,
        message: `duplicate phase name "${p.name}" (also at index ${phases.get(p.name)})`,
      });
    else phases.set(p.name, i);
  });
  const stress = (raw as Loose).stress as Loose | undefined;
  const monitoring = (raw as Loose).monitoring as Loose | undefined;
  if (asArray(stress?.telemetry).length && !(monitoring?.prometheus && typeof monitoring.prometheus === 'object')) {
    problems.push({
      path: 'stress.telemetry',
      message: 'telemetry queries need monitoring.prometheus.url (the Prometheus to query)',
    });
  }
  const faults = (raw as Loose).faults as Loose | undefined;
  const hasPrometheus = !!(monitoring?.prometheus && typeof monitoring.prometheus === 'object');
  asArray(faults?.drills).forEach((d, i) => {
    if (d && typeof d === 'object' && d.alert !== undefined && !hasPrometheus)
      problems.push({
        path: `faults.drills[${i}].alert`,
        message: 'an alert to watch needs monitoring.prometheus.url (the Prometheus that evaluates it)',
      });
  });
  const resources = faults?.resources as Loose | undefined;
  if (resources && typeof resources === 'object') {
    if (!hasPrometheus)
      problems.push({
        path: 'faults.resources',
        message: 'resource stability is read from Prometheus: it needs monitoring.prometheus.url',
      });
    const declared = asArray(baseline?.phases).map((p) => p?.name);
    if (!baseline || typeof baseline !== 'object')
      problems.push({
        path: 'faults.resources',
        message: 'resource stability is judged over a baseline phase: add a baseline section',
      });
    else if (
      typeof resources.phase === 'string' &&
      asArray(baseline.phases).length &&
      !declared.includes(resources.phase)
    )
      problems.push({
        path: 'faults.resources.phase',
        message: `unknown baseline phase "${resources.phase}" (phases: ${declared.join(', ')})`,
      });
  }
  if (asArray(monitoring?.alertsUnderLoad).length) {
    if (!(monitoring?.prometheus && typeof monitoring.prometheus === 'object'))
      problems.push({
        path: 'monitoring.alertsUnderLoad',
        message: 'alert accuracy under load needs monitoring.prometheus.url',
      });
    if (!stress || typeof stress !== 'object')
      problems.push({
        path: 'monitoring.alertsUnderLoad',
        message: 'alert accuracy under load is checked during the stress run: add a stress section',
      });
    const stepMs = parseDurationMs(typeof stress?.stepDuration === 'string' ? stress.stepDuration : '2m') ?? 0;
    asArray(monitoring?.alertsUnderLoad).forEach((a, i) => {
      const within = parseDurationMs(typeof a.within === 'string' ? a.within : '2m');
      if (stress && within !== undefined && within > stepMs) {
        problems.push({
          path: `monitoring.alertsUnderLoad[${i}].within`,
          message:
            'within must not exceed stress.stepDuration: a breach lasts one step, and the alert must fire while it lasts',
        });
      }
    });
  }
  return problems;
}

function placeholdersIn(v: unknown): string[] {
  if (typeof v === 'string') return placeholders(v);
  if (Array.isArray(v)) return v.flatMap(placeholdersIn);
  if (v && typeof v === 'object') return Object.values(v).flatMap(placeholdersIn);
  return [];
}
