/**
 * The faults phase: each dependency of `faults.dependencies` benchmarked in turn (never two at once: one would
 * load the other's server). An abort cancels the running benchmark (its keys and scratch table removed) and skips
 * the rest; what ran is stored.
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { Campaign, FaultsConfig } from '../config/schema';
import { errorRows, faultsOutcome, type DependencyResult } from '../core/dependencies';
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
  const judged = faultsOutcome(results);
  await store.recordPhaseResult({ campaignId, phase: 'faults', result: judged.result });
  const a = control?.aborted();
  if (a) return abortedOutcome(a, `${results.length} of ${deps.length} dependencies benchmarked`);
  return { status: judged.status, reason: judged.reason };
}
