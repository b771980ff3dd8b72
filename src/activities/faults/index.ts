/**
 * The faults phase's activities. A dependency's URL is read from the worker's environment by name and checked
 * against the egress policy before anything connects; the benchmark heartbeats every second and stops on
 * cancellation (its keys and scratch table removed on the way out).
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { errorRows, judgeOperation, type DependencyResult } from '../../core/dependencies';
import { BenchmarkCancelled, benchmarkDependency } from '../../faults/dependencies';
import { recordedCampaign } from '../campaign-config';
import type { ActivityDeps } from '../deps';
import { connectionRefusal } from '../egress';

/** A campaign id as a name part: 16 hex characters of its SHA-256 (ids that differ only in case or punctuation differ here too). */
export const benchToken = (campaignId: string) => createHash('sha256').update(campaignId).digest('hex').slice(0, 16);

export function createFaultsActivities(deps: ActivityDeps) {
  return {
    /** Benchmarks the campaign's `faults.dependencies[index]`; what it could not do is in `error`, never thrown. */
    async dependencyBenchmark(input: { campaignId: string; index: number }): Promise<DependencyResult> {
      const campaign = await recordedCampaign(deps.store, input.campaignId);
      const cfg = campaign.faults!.dependencies![input.index]!;
      const field = `faults.dependencies[${input.index}].connection`;
      const base = { dependency: cfg.name, kind: cfg.kind, rows: [] };
      const url = deps.secrets.resolve(cfg.connection.fromEnv, field);
      const refused = connectionRefusal(url, deps.egress);
      if (refused) return { ...base, ...errorRows(cfg.name, cfg.kind, `${field}: ${refused}`) };
      const ctx = Context.current();
      const timer = setInterval(() => ctx.heartbeat(), 1_000);
      try {
        const measured = await benchmarkDependency({
          kind: cfg.kind,
          url,
          operations: cfg.operations,
          concurrency: cfg.concurrency,
          token: benchToken(input.campaignId),
          index: input.index,
          attempt: ctx.info.attempt,
          signal: ctx.cancellationSignal,
        });
        const rows = measured.map((m) => judgeOperation(cfg.name, cfg.kind, m, cfg.targets?.[m.operation]));
        deps.logger.info(
          {
            campaignId: input.campaignId,
            phase: 'faults',
            dependency: cfg.name,
            rows: rows.map((r) => `${r.operation} p95 ${r.p95Ms} ms ${r.opsPerS}/s ${r.status}`),
          },
          'dependency benchmark',
        );
        return { ...base, rows };
      } catch (err) {
        // Cancelled (an abort): nothing to report, the workflow records the abort.
        if (err instanceof BenchmarkCancelled) throw ctx.cancellationSignal.reason ?? err;
        return {
          ...base,
          ...errorRows(cfg.name, cfg.kind, `could not benchmark: ${err instanceof Error ? err.message : String(err)}`),
        };
      } finally {
        clearInterval(timer);
      }
    },
  };
}
