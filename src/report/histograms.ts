/**
 * The stored latency histograms a report reads beyond report.json's summaries: per endpoint of a load phase, merged
 * over its generators (never averaged), as sparse `[value µs, count, ...]` lists. They feed the analysis by operation
 * type and the statistical comparison with the previous campaign.
 */
import { operationOf, type OperationLatency, type Operation } from '../core/analysis';
import {
  compareDistributions,
  mergeSparse,
  percentileMs,
  type EndpointShift,
  type SparseCounts,
} from '../core/distribution';
import { mergeSlices } from '../engine/merge';
import { toSparse } from '../engine/metrics';
import type { ResultsStore } from '../infra/results-store';

/** Each endpoint's latency histogram in one phase (answered requests), merged over the phase's generators. */
export async function endpointHistograms(
  store: ResultsStore,
  campaignId: string,
  phase: string,
): Promise<Record<string, SparseCounts>> {
  const slices = await store.loadSlices(campaignId, phase);
  if (!slices.length) return {};
  const { metrics } = mergeSlices(slices);
  return Object.fromEntries(Object.keys(metrics.endpoints).map((name) => [name, toSparse(metrics.latency(name))]));
}

/** A phase's latency by operation type (reads, writes, deletes), each merged from its endpoints' histograms. */
export function operationLatencies(
  histograms: Record<string, SparseCounts>,
  methods: Record<string, string>,
): OperationLatency[] {
  const groups = new Map<Operation, SparseCounts[]>();
  for (const [name, h] of Object.entries(histograms)) {
    const op = operationOf(methods[name] ?? 'OTHER');
    groups.set(op, [...(groups.get(op) ?? []), h]);
  }
  const order: Operation[] = ['read', 'write', 'delete', 'other'];
  return order
    .filter((op) => groups.has(op))
    .map((op) => {
      const h = mergeSparse(groups.get(op)!);
      let requests = 0;
      for (let i = 1; i < h.length; i += 2) requests += h[i]!;
      return {
        operation: op,
        requests,
        p50Ms: percentileMs(h, 50),
        p95Ms: percentileMs(h, 95),
        p99Ms: percentileMs(h, 99),
      };
    });
}

/** Compares every endpoint both campaigns measured in a phase of the same name. */
export function endpointShifts(
  phase: string,
  previous: Record<string, SparseCounts>,
  current: Record<string, SparseCounts>,
): EndpointShift[] {
  return Object.keys(current)
    .filter((name) => previous[name])
    .sort()
    .map((name) => ({ phase, endpoint: name, ...compareDistributions(previous[name]!, current[name]!) }));
}
