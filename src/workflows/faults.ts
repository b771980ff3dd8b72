/**
 * The faults phase: resource stability over a baseline phase (read back from Prometheus), each dependency of
 * `faults.dependencies` benchmarked in turn (never two at once: one would load the other's server), then each fault
 * drill in turn. An abort cancels the running benchmark or drill (its keys and scratch table removed, its dependency
 * started again) and skips the rest; what ran is stored. A drill that did not end cleanly (failed, cancelled, its
 * worker lost) is followed by its start command once more, whatever happens: a drill never leaves a dependency down.
 */
import { ActivityCancellationType, CancellationScope, proxyActivities } from '@temporalio/workflow';
import type { Campaign, FaultsConfig } from '../config/schema';
import { errorRows, faultsOutcome, type DependencyResult } from '../core/dependencies';
import { drillError, drillTargets, type FaultDrillResult, type ResourceStability } from '../core/drills';
import { PERMANENT } from '../core/errors';
import { parseDurationMs } from '../core/duration';
import { abortedOutcome } from '../core/outcomes';
import type { PhaseOutcome } from '../core/types';
import type { AbortControl } from './messages';
import { failureAsResult, store, type Activities } from './proxies';

export async function runFaults(
  campaignId: string,
  f: FaultsConfig,
  settings: Campaign['settings'],
  control?: AbortControl,
): Promise<PhaseOutcome> {
  const bench = proxyActivities<Activities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: parseDurationMs(settings.heartbeatTimeout) ?? 20_000,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '2s', maximumAttempts: 2, nonRetryableErrorTypes: [...PERMANENT] },
  });
  const results: DependencyResult[] = [];
  const deps = f.dependencies ?? [];
  for (let index = 0; index < deps.length; index++) {
    if (control?.aborted()) break;
    const d = deps[index]!;
    const call = () => bench.dependencyBenchmark({ campaignId, index });
    const r = await failureAsResult(
      () => (control ? control.run(call) : call()),
      (reason): DependencyResult => ({
        dependency: d.name,
        kind: d.kind,
        ...errorRows(d.name, d.kind, `could not run: ${reason}`),
      }),
    );
    // Cancelled by an abort: what it measured so far is no result.
    if (control?.aborted()) break;
    results.push(r);
  }
  let resources: ResourceStability | undefined;
  if (f.resources && !control?.aborted()) {
    const read = proxyActivities<Activities>({
      startToCloseTimeout: '5 minutes',
      retry: { initialInterval: '2s', maximumAttempts: 3, nonRetryableErrorTypes: [...PERMANENT] },
    });
    const call = () => read.resourceStability({ campaignId });
    resources = await failureAsResult(
      () => (control ? control.run(call) : call()),
      (reason): ResourceStability => ({
        phase: f.resources!.phase ?? '',
        from: '',
        to: '',
        memoryGrowthMb: null,
        memorySlopeMbPerHour: null,
        memoryFirstMb: null,
        memoryLastMb: null,
        cpuAvgPct: null,
        cpuPeakPct: null,
        samples: { memory: 0, cpu: 0 },
        limits: {
          maxMemoryGrowthMb: f.resources!.maxMemoryGrowthMb,
          maxCpuAvgPct: f.resources!.maxCpuAvgPct,
          maxCpuPeakPct: f.resources!.maxCpuPeakPct,
        },
        checks: { memory: 'not_evaluable', cpuAvg: 'not_evaluable', cpuPeak: 'not_evaluable' },
        notes: [`could not read: ${reason}`],
      }),
    );
  }
  const drills: FaultDrillResult[] = [];
  const planned = f.drills ?? [];
  const restorer = proxyActivities<Activities>({
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '2s', maximumAttempts: 5, nonRetryableErrorTypes: [...PERMANENT] },
  });
  for (let index = 0; index < planned.length; index++) {
    if (control?.aborted()) break;
    const d = planned[index]!;
    const ms = (t: string) => parseDurationMs(t) ?? 0;
    const targets = drillTargets(parseDurationMs(d.maxDetectionTime), parseDurationMs(d.maxRecoveryTime));
    const drill = proxyActivities<Activities>({
      // Its load, the outage, the observation and both commands, with room to spare.
      startToCloseTimeout: ms(d.before) + ms(d.down) + ms(d.observe) + 10 * 60_000,
      heartbeatTimeout: parseDurationMs(settings.heartbeatTimeout) ?? 20_000,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      // A lost worker's drill is retried once: the retry starts the dependency first, then drills anew.
      retry: { initialInterval: '2s', maximumAttempts: 2, nonRetryableErrorTypes: [...PERMANENT] },
    });
    const call = () => drill.faultDrill({ campaignId, index });
    let r: FaultDrillResult | undefined;
    try {
      r = await failureAsResult(
        () => (control ? control.run(call) : call()),
        (reason) => drillError(d, targets, `could not run: ${reason}`, false),
      );
    } finally {
      if (!r?.restored) {
        // Whatever ended the drill (an abort, a cancellation, a lost worker, an error), its dependency is started
        // again before the campaign moves on; a failed start is retried, and said.
        const restored = await CancellationScope.nonCancellable(() =>
          restorer.restoreDependency({ campaignId, index }).then(
            () => true,
            () => false,
          ),
        );
        if (r) {
          r.restored = restored;
          r.notes = [
            ...r.notes,
            restored
              ? 'the dependency was started again after the drill'
              : 'the dependency could NOT be started again after the drill: check it now',
          ];
        }
      }
    }
    const a = control?.aborted();
    if (a) {
      drills.push({ ...r, status: 'error', error: `aborted by ${a.by} during this drill` });
      break;
    }
    drills.push(r);
    if (CancellationScope.current().consideredCancelled) break;
  }
  const judged = faultsOutcome(results, drills, resources);
  await store.recordPhaseResult({ campaignId, phase: 'faults', result: judged.result });
  const a = control?.aborted();
  if (a)
    return abortedOutcome(
      a,
      `${results.length} of ${deps.length} dependencies benchmarked, ${drills.length} of ${planned.length} drills run`,
    );
  return { status: judged.status, reason: judged.reason };
}
