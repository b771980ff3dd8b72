/**
 * The faults phase's activities. A dependency's URL is read from the worker's environment by name and checked
 * against the egress policy before anything connects; the benchmark heartbeats every second and stops on
 * cancellation (its keys and scratch table removed on the way out).
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { errorRows, judgeOperation, type DependencyResult } from '../../core/dependencies';
import {
  drillError,
  drillTargets,
  judgeResources,
  type FaultDrillResult,
  type ResourceStability,
} from '../../core/drills';
import { parseDurationMs } from '../../core/duration';
import { egressGuard } from '../../core/egress';
import { BenchmarkCancelled, benchmarkDependency } from '../../faults/dependencies';
import { DrillCancelled, DrillRefused, runDeclared, runDrill } from '../../faults/drill';
import { analyseDrill } from '../../faults/drill-analysis';
import { at, probe, promData } from '../../monitoring/http';
import { recordedCampaign } from '../campaign-config';
import type { ActivityDeps } from '../deps';
import { allowedUrl, connectionRefusal } from '../egress';
import { resolveHeaders } from '../load';

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

    /**
     * Runs the campaign's `faults.drills[index]`. A retry (the worker died during the drill) first starts the
     * dependency again, then drills anew. A drill that cannot run is an error result, never thrown; an abort is
     * thrown, after the dependency has been started again.
     */
    async faultDrill(input: { campaignId: string; index: number }): Promise<FaultDrillResult> {
      const campaign = await recordedCampaign(deps.store, input.campaignId);
      const cfg = campaign.faults!.drills![input.index]!;
      const ctx = Context.current();
      const log = deps.logger.child({ campaignId: input.campaignId, phase: 'faults', drill: cfg.name });
      const targets = drillTargets(parseDurationMs(cfg.maxDetectionTime), parseDurationMs(cfg.maxRecoveryTime));
      const failed = (error: string, restored: boolean, extra: string[] = []) =>
        drillError(cfg, targets, error, restored, extra);
      const commands = deps.recoveryCommands ?? {};
      const declared = Object.keys(commands);
      const argv = (n: string) => (Object.hasOwn(commands, n) ? commands[n] : undefined);
      const stop = argv(cfg.stop);
      const start = argv(cfg.start);
      if (!stop || !start) {
        const missing = [cfg.stop, cfg.start].filter((n) => !argv(n));
        return failed(
          `${missing.map((m) => `"${m}"`).join(' and ')} not declared on this worker in READINESS_RECOVERY_COMMANDS (${declared.length ? declared.join(', ') : 'none declared'}): nothing was run`,
          true,
        );
      }
      const notes: string[] = [];
      if (ctx.info.attempt > 1) {
        // The previous attempt may have died with the dependency stopped: start it first.
        const r = await runDeclared(start, 120_000);
        notes.push(
          `attempt ${ctx.info.attempt}: the previous attempt stopped without finishing; the dependency was started first (exit ${r.code})`,
        );
        log.warn({ exit: r.code }, 'drill retried: dependency started before drilling again');
      }
      const origin = allowedUrl(campaign.target.baseUrl, '', 'target', deps.egress, 'target.baseUrl');
      const healthUrl = allowedUrl(
        campaign.target.baseUrl,
        campaign.target.healthPath,
        'target',
        deps.egress,
        'target.healthPath',
      );
      const { headers, scenario } = resolveHeaders(deps.secrets, campaign.target, campaign.scenario);
      const prom = campaign.monitoring?.prometheus;
      const probeCfg = campaign.monitoring?.alertmanager?.probe;
      try {
        const ran = await runDrill({
          stop,
          start,
          beforeMs: parseDurationMs(cfg.before) ?? 10_000,
          downMs: parseDurationMs(cfg.down) ?? 10_000,
          observeMs: parseDurationMs(cfg.observe) ?? 60_000,
          users: cfg.users,
          scenario,
          origin: origin.origin,
          headers,
          healthUrl,
          targetGuard: egressGuard(deps.egress, 'target'),
          systemGuard: egressGuard(deps.egress, 'system'),
          tolerance: cfg.tolerance,
          ...(prom
            ? {
                prometheus: {
                  url: prom.url,
                  headers: deps.secrets.headers(prom.headers, 'monitoring.prometheus.headers'),
                },
              }
            : {}),
          ...(cfg.alert ? { alert: cfg.alert } : {}),
          ...(probeCfg ? { webhookListen: probeCfg.listen } : {}),
          signal: ctx.cancellationSignal,
          heartbeat: (stage) => ctx.heartbeat({ stage }),
          log: (msg, fields) => log.info(fields ?? {}, msg),
        });
        const analysed = analyseDrill(ran.observations, {
          name: cfg.name,
          users: cfg.users,
          ...targets,
          ...(cfg.maxErrorP95Ms !== undefined ? { maxErrorP95Ms: cfg.maxErrorP95Ms } : {}),
          tolerance: cfg.tolerance,
        });
        const result: FaultDrillResult = { ...analysed, restored: ran.restored, notes: [...notes, ...ran.notes] };
        if (!ran.restored) {
          result.status = 'error';
          result.error = 'the dependency could not be started again: it may still be down';
        }
        log.info(
          {
            impactS: result.impactS,
            detectS: result.detection.firstS,
            firstSuccessS: result.recovery.firstSuccessS,
            backToBaselineS: result.recovery.backToBaselineS,
            status: result.status,
          },
          'fault drill',
        );
        return result;
      } catch (err) {
        if (err instanceof DrillCancelled) throw ctx.cancellationSignal.reason ?? err;
        if (err instanceof DrillRefused) return failed(err.message, true, notes);
        return failed(`could not run: ${err instanceof Error ? err.message : String(err)}`, true, notes);
      }
    },

    /** Starts a drill's dependency again (its declared start command): the workflow's cleanup after a failed drill. */
    async restoreDependency(input: { campaignId: string; index: number }): Promise<{ code: number }> {
      const campaign = await recordedCampaign(deps.store, input.campaignId);
      const cfg = campaign.faults!.drills![input.index]!;
      const commands = deps.recoveryCommands ?? {};
      const start = Object.hasOwn(commands, cfg.start) ? commands[cfg.start] : undefined;
      if (!start) return { code: -1 };
      const r = await runDeclared(start, 120_000);
      deps.logger.info({ campaignId: input.campaignId, drill: cfg.name, exit: r.code }, 'drill dependency restored');
      return { code: r.code };
    },

    /**
     * Resource stability over a baseline phase: the memory and CPU queries over the phase's window (from its stored
     * measurements: when it was recorded and how long it ran), judged against the limits.
     */
    async resourceStability(input: { campaignId: string }): Promise<ResourceStability> {
      const campaign = await recordedCampaign(deps.store, input.campaignId);
      const cfg = campaign.faults!.resources!;
      const phases = campaign.baseline?.phases ?? [];
      const phase = cfg.phase ?? phases[phases.length - 1]?.name ?? 'endurance';
      const limits = {
        maxMemoryGrowthMb: cfg.maxMemoryGrowthMb,
        maxCpuAvgPct: cfg.maxCpuAvgPct,
        maxCpuPeakPct: cfg.maxCpuPeakPct,
      };
      const notes: string[] = [];
      const window = await deps.store.phaseWindow(input.campaignId, phase);
      if (!window) {
        return judgeResources({
          phase,
          from: '',
          to: '',
          limits,
          notes: [`baseline phase ${phase} has no measurements`],
        });
      }
      const prom = campaign.monitoring!.prometheus!;
      const h = deps.secrets.headers(prom.headers, 'monitoring.prometheus.headers');
      const guard = egressGuard(deps.egress, 'system');
      const spanS = (window.toMs - window.fromMs) / 1000;
      const step = Math.max(1, Math.ceil(spanS / 1_000));
      const range = async (what: string, query: string | undefined): Promise<Array<[number, number]> | undefined> => {
        if (!query) return undefined;
        const r = promData<{ result: Array<{ values: Array<[number, string]> }> }>(
          await probe(
            at(prom.url, '/api/v1/query_range', {
              query,
              start: String(window.fromMs / 1000),
              end: String(window.toMs / 1000),
              step: `${step}s`,
            }),
            { headers: h, timeoutMs: 30_000, egress: guard },
          ),
        );
        if ('problem' in r) {
          notes.push(`${what}: ${r.problem}`);
          return undefined;
        }
        // Several series (instances) are summed per timestamp.
        const sum = new Map<number, number>();
        for (const s of r.data.result)
          for (const [t, v] of s.values) if (Number.isFinite(Number(v))) sum.set(t, (sum.get(t) ?? 0) + Number(v));
        if (!sum.size) notes.push(`${what}: the query returned no samples over ${phase}`);
        return [...sum.entries()].sort((a, b) => a[0] - b[0]);
      };
      const [memoryBytes, cpuPct] = await Promise.all([range('memory', cfg.memory), range('cpu', cfg.cpu)]);
      return judgeResources({
        phase,
        from: new Date(window.fromMs).toISOString(),
        to: new Date(window.toMs).toISOString(),
        ...(memoryBytes ? { memoryBytes } : {}),
        ...(cpuPct ? { cpuPct } : {}),
        limits,
        notes,
      });
    },
  };
}
