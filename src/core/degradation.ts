/**
 * How a target degrades past its breaking point, as pure functions: what kinds of failure it answered with
 * (fast rejections that say when to retry, timeouts, transport errors, other server errors), whether failures
 * come fast or hang, whether its error answers tell a client anything, and whether it was still healthy
 * right after. Judged on the stress steps past the breaking point and on the spike.
 */
import type { EndpointResult } from './types';

/** One error answer's start, as sampled by the generator (bounded, scrubbed of secrets before it is stored). */
export interface ErrorBodySample {
  endpoint: string;
  status: number;
  contentType: string;
  body: string;
  bytes: number;
}

/** Why an error body does not help a client: nothing in it, an HTML error page, or an internal stack trace. */
export type SampleFlag = 'empty' | 'html' | 'stack_trace';

/** A sample with its flags, as reported. */
export interface FlaggedSample extends ErrorBodySample {
  flags: SampleFlag[];
}

/** Failures by class, over the judged steps. */
export interface ErrorClasses {
  /** 429 and 503 answers: the target refused work it could not take. */
  fastRejections: number;
  /** Of those, how many said when to come back (Retry-After). */
  withRetryAfter: number;
  /** No answer within the request timeout. */
  timeouts: number;
  /** Connections reset, refused, closed mid-answer: the target (or its proxy) dropped the client. */
  transport: number;
  /** 500, 502, 504 and other 5xx answers. */
  otherServerErrors: number;
  /** Other 4xx answers, unexpected bodies, captures that failed. */
  other: number;
}

/**
 * What one judged stretch (a failing step, the spike) contributes: its failures by class (or, in histories recorded
 * before the measurement classified them itself, its endpoints), and its samples.
 */
export interface DegradationInput {
  /** Where it came from, e.g. "stress step 350" or "spike". */
  source: string;
  /** Its failures by class (withRetryAfter not yet bounded by fastRejections): see classifyEndpoints. */
  classes?: ErrorClasses;
  /** The endpoints themselves (older measurements): classified here. */
  endpoints?: EndpointResult[];
  retryAfter: number;
  /** Latency of the failed requests (4xx, 5xx, no answer), ms; null when none failed. */
  failedP95Ms: number | null;
  /** Latency of the successful requests, ms; null when none succeeded. */
  okP95Ms: number | null;
  samples: ErrorBodySample[];
}

/** The degradation verdict, as stored and reported (`stress.degradation`). */
export interface Degradation {
  /** Graceful: healthy right after, and the excess shed with answers, not dropped connections or hangs. Null: nothing failed. */
  graceful: boolean | null;
  errorClasses: ErrorClasses;
  failures: number;
  /** Failures answered fast: failed p95 no slower than {@link FAIL_FAST_FACTOR} x the successful p95 (or {@link FAIL_FAST_FLOOR_MS}). */
  failFast: boolean | null;
  failedP95Ms: number | null;
  okP95Ms: number | null;
  /** Error answers tell the client something: no stack trace, most bodies neither empty nor HTML pages. Null: no error body sampled. */
  informativeErrors: boolean | null;
  samples: FlaggedSample[];
  /** The target's health check right after the load. */
  healthAfter: { ok: boolean; status?: number; error?: string } | null;
  /** Where the judged failures came from. */
  judged: string[];
  /** One sentence per finding, for the reports. */
  findings: string[];
}

/** Transport failure kinds (the generator's names for socket-level errors). */
const TRANSPORT = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'socket',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CLOSED',
  'other_side_closed',
  'aborted',
]);
/** Failed requests are "fast" up to this multiple of the successful p95, or this floor (ms). */
const FAIL_FAST_FACTOR = 2;
const FAIL_FAST_FLOOR_MS = 250;
/** At most this share of the failures may be transport errors or timeouts for degradation to be graceful. */
const MAX_UNANSWERED_SHARE = 0.1;

const STACK_TRACE = [
  /\n\s+at [\w.<>$]+ \(.*:\d+:\d+\)/, // Node.js / JavaScript
  /Traceback \(most recent call last\)/, // Python
  /\n\s+at [\w.$]+\([\w]+\.java:\d+\)/, // Java
  /goroutine \d+ \[running\]/, // Go
  /\.rb:\d+:in `/, // Ruby
  /(?:Exception|Error) in .*? on line \d+/, // PHP
];

/** Flags an error body: empty, an HTML page, or a stack trace. */
export function flagSample(s: ErrorBodySample): SampleFlag[] {
  const flags: SampleFlag[] = [];
  const text = s.body.trim();
  if (!text) flags.push('empty');
  else {
    if (/text\/html/i.test(s.contentType) || /^<(!doctype html|html)/i.test(text)) flags.push('html');
    if (STACK_TRACE.some((re) => re.test(s.body))) flags.push('stack_trace');
  }
  return flags;
}

/** No failure in any class. */
const noErrors = (): ErrorClasses => ({
  fastRejections: 0,
  withRetryAfter: 0,
  timeouts: 0,
  transport: 0,
  otherServerErrors: 0,
  other: 0,
});

/**
 * Sorts the failures of a stretch's endpoints into classes (by error kind, then by failing status: 429/503 fast
 * rejections, other 5xx, the rest). Only endpoints with errors count, so a measurement may send just those.
 */
export function classifyEndpoints(endpoints: EndpointResult[]): ErrorClasses {
  const c = noErrors();
  for (const e of endpoints) {
    for (const [kind, n] of Object.entries(e.errorKinds)) {
      if (kind === 'timeout' || kind === 'ETIMEDOUT') c.timeouts += n;
      else if (TRANSPORT.has(kind) || kind.startsWith('ECONN') || kind.startsWith('UND_ERR_')) c.transport += n;
      else c.other += n;
    }
    // Statuses that failed (expected statuses are not errors: only what the error count leaves after the kinds).
    let statusFailures = e.errors - Object.values(e.errorKinds).reduce((a, b) => a + b, 0);
    for (const [code, n] of Object.entries(e.statusCounts).sort(([a], [b]) => Number(b) - Number(a))) {
      const status = Number(code);
      if (status < 400 || statusFailures <= 0) continue;
      const counted = Math.min(n, statusFailures);
      statusFailures -= counted;
      if (status === 429 || status === 503) c.fastRejections += counted;
      else if (status >= 500) c.otherServerErrors += counted;
      else c.other += counted;
    }
  }
  return c;
}

/** Sorts every failure of the judged stretches into its class. */
export function classifyErrors(inputs: DegradationInput[]): ErrorClasses {
  const c = noErrors();
  for (const input of inputs) {
    const own = input.classes ?? classifyEndpoints(input.endpoints ?? []);
    for (const k of Object.keys(c) as Array<keyof ErrorClasses>) c[k] += own[k];
    c.withRetryAfter += input.retryAfter;
  }
  c.withRetryAfter = Math.min(c.withRetryAfter, c.fastRejections);
  return c;
}

/** Judges the degradation: graceful, fail-fast and informative, each with the figures behind it. */
export function judgeDegradation(inputs: DegradationInput[], healthAfter: Degradation['healthAfter']): Degradation {
  const errorClasses = classifyErrors(inputs);
  const failures =
    errorClasses.fastRejections +
    errorClasses.timeouts +
    errorClasses.transport +
    errorClasses.otherServerErrors +
    errorClasses.other;
  const failed = inputs.map((i) => i.failedP95Ms).filter((v): v is number => v !== null);
  const ok = inputs.map((i) => i.okP95Ms).filter((v): v is number => v !== null);
  const failedP95Ms = failed.length ? Math.max(...failed) : null;
  const okP95Ms = ok.length ? Math.max(...ok) : null;
  const samples = inputs.flatMap((i) => i.samples).map((s) => ({ ...s, flags: flagSample(s) }));
  const findings: string[] = [];

  const unanswered = errorClasses.timeouts + errorClasses.transport;
  let graceful: boolean | null = null;
  if (failures > 0 || (healthAfter && !healthAfter.ok)) {
    const crashed = !!healthAfter && !healthAfter.ok;
    graceful = !crashed && unanswered <= failures * MAX_UNANSWERED_SHARE;
    if (crashed)
      findings.push(
        `the target was not healthy right after the load (${healthAfter!.error ?? `status ${healthAfter!.status}`})`,
      );
    if (unanswered > failures * MAX_UNANSWERED_SHARE)
      findings.push(
        `${pct(unanswered, failures)} of the failures got no answer (${errorClasses.timeouts} timeouts, ${errorClasses.transport} transport errors): the target dropped or hung requests instead of rejecting them`,
      );
    if (errorClasses.fastRejections)
      findings.push(
        `${errorClasses.fastRejections} fast rejections (429/503), ${errorClasses.withRetryAfter} with Retry-After`,
      );
    if (errorClasses.otherServerErrors) findings.push(`${errorClasses.otherServerErrors} other server errors (5xx)`);
  }

  let failFast: boolean | null = null;
  if (failedP95Ms !== null) {
    const bound = Math.max(FAIL_FAST_FLOOR_MS, FAIL_FAST_FACTOR * (okP95Ms ?? 0));
    failFast = failedP95Ms <= bound;
    if (!failFast)
      findings.push(
        `failed requests took ${failedP95Ms} ms at p95 (successful ones ${okP95Ms ?? '-'} ms): failures hang instead of failing fast`,
      );
  }

  let informativeErrors: boolean | null = null;
  if (samples.length) {
    const traces = samples.filter((s) => s.flags.includes('stack_trace')).length;
    const blank = samples.filter((s) => s.flags.includes('empty') || s.flags.includes('html')).length;
    informativeErrors = traces === 0 && blank * 2 <= samples.length;
    if (traces)
      findings.push(
        `${traces} of ${samples.length} sampled error bodies contain a stack trace (internal details leak to clients)`,
      );
    if (blank * 2 > samples.length)
      findings.push(
        `${blank} of ${samples.length} sampled error bodies are empty or HTML pages: a client learns nothing from them`,
      );
  }
  return {
    graceful,
    errorClasses,
    failures,
    failFast,
    failedP95Ms,
    okP95Ms,
    informativeErrors,
    samples,
    healthAfter,
    judged: inputs.map((i) => i.source),
    findings,
  };
}

/** The samples with identical status, content type and body folded into one, with the endpoints they came from. */
export function distinctSamples(
  samples: FlaggedSample[],
): Array<FlaggedSample & { endpoints: string[]; count: number }> {
  const out = new Map<string, FlaggedSample & { endpoints: string[]; count: number }>();
  for (const x of samples) {
    const key = `${x.status}\u0000${x.contentType}\u0000${x.body}`;
    const seen = out.get(key);
    if (seen) {
      seen.count += 1;
      if (!seen.endpoints.includes(x.endpoint)) seen.endpoints.push(x.endpoint);
    } else out.set(key, { ...x, endpoints: [x.endpoint], count: 1 });
  }
  return [...out.values()];
}

function pct(part: number, whole: number): string {
  return `${whole ? Math.round((part / whole) * 1000) / 10 : 0} %`;
}
