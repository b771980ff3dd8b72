/**
 * The fault drills and the resource stability as table cells and lines of plain text, shared by report.md and
 * report.html (each escapes them for its own format). Pure.
 */
import {
  DEFAULT_RESOURCE_LIMITS,
  drillTargets,
  type DrillCheck,
  type FaultDrillResult,
  type ResourceStability,
} from '../core/drills';
import { round } from '../core/numbers';

/** A table cell: its text and, for a judged figure, the judgement (report.md shows it as an icon, report.html as a pill). */
export interface FaultCell {
  text: string;
  mark?: DrillCheck;
}

const ICON: Record<DrillCheck, string> = { pass: '✅', fail: '❌', not_evaluable: '➖' };

/** A cell as markdown text (before escaping): the judgement's icon, then the text. */
export const markedText = (c: FaultCell) => (c.mark ? `${ICON[c.mark]} ${c.text}` : c.text);

const isNum = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const secs = (v: number | null | undefined) => (isNum(v) ? `${round(v, 2)} s` : 'n/a');
/** Milliseconds with two decimals under 100 ms (fail-fast is about fractions of a millisecond). */
const msText = (v: number | null | undefined) =>
  !isNum(v) ? 'n/a' : v < 100 ? `${round(v, 2)} ms` : `${Math.round(v).toLocaleString('en-US')} ms`;
const pctText = (ratio: number | null | undefined) => (isNum(ratio) ? `${round(ratio * 100, 1)} %` : 'n/a');

/** The drill table's columns. */
export const DRILL_HEAD = [
  'Drill',
  'Status',
  'Down',
  'Impact (first failure)',
  'Detected: health / alert firing / alert delivered',
  'Fail-fast (failed p95 vs limit)',
  'First success',
  'Back to baseline (target)',
  'Fully recovered',
];

/** The checks a drill failed (none for an error drill: its checks were not run). */
export function failedChecks(d: FaultDrillResult): string[] {
  if (d.status === 'error') return [];
  return Object.entries(d.checks)
    .filter(([, v]) => v === 'fail')
    .map(([k]) => (k === 'failFast' ? 'fail-fast' : k));
}

/** The drill's status, with the checks that failed. */
export function drillStatusText(d: FaultDrillResult): string {
  const failed = failedChecks(d);
  return d.status === 'error'
    ? '⚠️ error'
    : d.status === 'pass'
      ? '✅ pass'
      : `❌ fail${failed.length ? ` (${failed.join(', ')})` : ''}`;
}

/** One row of the drill table, cell by cell (DRILL_HEAD); the status cell is text (see drillStatusText). */
export function drillCells(d: FaultDrillResult): FaultCell[] {
  const cells = (texts: string[]) => texts.map((text) => ({ text }));
  if (d.status === 'error')
    return cells([d.name, drillStatusText(d), secs(d.downS), 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a']);
  const { detection: det, failFast: ff, recovery: rec } = d;
  const channel = (watched: boolean, v: number | null) =>
    !watched ? 'not watched' : v === null ? 'not detected' : secs(v);
  const breaker =
    ff.breakerOpened === null
      ? 'breaker not judged (too few failures)'
      : ff.breakerOpened
        ? `breaker opened (${msText(ff.firstP95ErrorMs)} -> ${msText(ff.laterP95ErrorMs)})`
        : 'no breaker';
  const firstSuccess =
    rec.firstSuccessS !== null
      ? secs(rec.firstSuccessS)
      : d.downS === null
        ? 'n/a (not restarted)'
        : d.impactS === null
          ? 'n/a (nothing failed)'
          : 'none';
  return [
    { text: d.name },
    { text: drillStatusText(d) },
    { text: secs(d.downS) },
    { text: d.impactS === null ? 'no failure' : secs(d.impactS) },
    {
      mark: d.checks.detected,
      text: `${channel(det.watched.health, det.healthS)} / ${channel(det.watched.alertFiring, det.alertFiringS)} / ${channel(det.watched.alertDelivered, det.alertDeliveredS)} (within ${d.targets.detectS} s)`,
    },
    {
      mark: d.checks.failFast,
      text:
        ff.p95ErrorMs === null
          ? 'no request failed'
          : `${msText(ff.p95ErrorMs)} vs ${ff.limitMs === null ? 'no limit (no pre-fault p95)' : `limit ${msText(ff.limitMs)}`}, ${breaker}`,
    },
    { text: firstSuccess },
    {
      mark: d.checks.recovered,
      text: `${rec.backToBaselineS === null ? 'never' : secs(rec.backToBaselineS)} (within ${d.targets.recoverS} s)`,
    },
    { mark: d.fullyRecovered ? 'pass' : 'fail', text: d.fullyRecovered ? 'yes' : 'no' },
  ];
}

/** What a drill saw while the dependency was down, its reference, its error and its notes: one line of text each. */
export function drillDetails(d: FaultDrillResult): string[] {
  const out: string[] = [];
  if (d.status === 'error') out.push(`Error: ${d.error ?? 'the drill could not run'}`);
  if (d.whileDown.length)
    out.push(
      `While down (${d.users} users): ${d.whileDown
        .map(
          (e) =>
            `${e.endpoint} ${pctText(e.errorRate)} errors (${e.errors.toLocaleString('en-US')}/${e.requests.toLocaleString('en-US')}), p95 ok ${msText(e.okP95Ms)} / err ${msText(e.errorP95Ms)}`,
        )
        .join('; ')}`,
    );
  else if (d.status !== 'error') out.push('While down: no request finished');
  if (d.reference.requests)
    out.push(
      `Pre-fault: p95 ${msText(d.reference.p95Ms)}, ${pctText(d.reference.errorRate)} errors over ${d.reference.requests.toLocaleString('en-US')} requests`,
    );
  if (!d.restored) out.push('The dependency was NOT restored: start it by hand');
  out.push(...d.notes);
  return out;
}

/** The resource table's columns. */
export const RESOURCE_HEAD = ['Phase', 'Memory growth', 'CPU average', 'CPU peak'];

/** The resource table's row (RESOURCE_HEAD): each figure with its limit, judged (n/a when not measured). */
export function resourceCells(r: ResourceStability): FaultCell[] {
  const judged = (check: DrillCheck, v: number | null, text: string, limit: string): FaultCell =>
    v === null || check === 'not_evaluable'
      ? { text: `n/a (not measured); limit ${limit}` }
      : { mark: check, text: `${text}; limit ${limit}` };
  return [
    { text: r.phase },
    judged(
      r.checks.memory,
      r.memoryGrowthMb,
      `${r.memoryGrowthMb} MB (${r.memorySlopeMbPerHour ?? 'n/a'} MB/h, ${r.memoryFirstMb ?? 'n/a'} -> ${r.memoryLastMb ?? 'n/a'} MB)`,
      `< ${r.limits.maxMemoryGrowthMb} MB`,
    ),
    judged(r.checks.cpuAvg, r.cpuAvgPct, `${r.cpuAvgPct} %`, `< ${r.limits.maxCpuAvgPct} %`),
    judged(r.checks.cpuPeak, r.cpuPeakPct, `${r.cpuPeakPct} %`, `< ${r.limits.maxCpuPeakPct} %`),
  ];
}

/** The window judged and the samples read. */
export function resourceWindow(r: ResourceStability): string {
  return `Over ${r.phase} from ${r.from} to ${r.to}: ${r.samples.memory} memory and ${r.samples.cpu} CPU samples`;
}

/** Where the drills' and the resources' default limits come from. */
export function faultDefaultsText(): string {
  const t = drillTargets(undefined, undefined);
  const L = DEFAULT_RESOURCE_LIMITS;
  return (
    `Default limits are the hand-run campaign's, unless the campaign file sets its own: detected within ${t.detectS} s of the fault, ` +
    `back to the pre-fault latency and error rate within ${t.recoverS} s of the restart, fail-fast: failed requests no slower ` +
    `than the pre-fault p95 of successful requests (within the drill's tolerance, default 50 %, + 5 ms), once the first failures are past (the seeds' "< 1 ms when the circuit is open" is measured inside the service; from outside, a failure that answers is told from one that waits for a timeout); ` +
    `memory growth < ${L.maxMemoryGrowthMb} MB over the phase, CPU < ${L.maxCpuAvgPct} % average and < ${L.maxCpuPeakPct} % peak.`
  );
}
