/**
 * The faults phase's activities. A dependency's URL is read from the worker's environment by name and checked
 * against the egress policy before anything connects; the benchmark heartbeats every second and stops on
 * cancellation (its keys and scratch table removed on the way out).
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
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
import { dataSources, resolveHeaders } from '../load';

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
     * Runs the campaign's `faults.drills[index]` and returns what it measured; a drill that cannot run or finish is
     * an error result (with whether its dependency was started again), never thrown; an abort is thrown, after the
     * dependency has been started again. A retry (the worker running the drill was lost) starts the dependency and
     * reports the loss: it never takes the dependency down a second time.
     */
    async faultDrill(input: { campaignId: string; index: number }): Promise<FaultDrillResult> {
      const campaign = await recordedCampaign(deps.store, input.campaignId);
      const cfg = campaign.faults!.drills![input.index]!;
      const ctx = Context.current();
      const log = deps.logger.child({ campaignId: input.campaignId, phase: 'faults', drill: cfg.name });
      const targets = drillTargets(parseDurationMs(cfg.maxDetectionTime), parseDurationMs(cfg.maxRecoveryTime));
      const failed = (error: string, restored: boolean, extra: string[] = []) =>
        drillError(cfg, targets, error, restored, extra);
      // Heartbeats every second from the first moment to the last, whatever the drill is doing (a command, a sleep,
      // a restore): a live worker's drill is never timed out and retried while it still runs.
      let stage = 'starting';
      const beat = setInterval(() => ctx.heartbeat({ stage }), 1_000);
      try {
        const pairs = deps.faultCommands ?? {};
        const pair = Object.hasOwn(pairs, cfg.commands) ? pairs[cfg.commands] : undefined;
        if (!pair) {
          const declared = Object.keys(pairs);
          return failed(
            `faults.drills[${input.index}].commands: "${cfg.commands}" is not a command pair declared on this worker in READINESS_FAULT_COMMANDS (${declared.length ? declared.join(', ') : 'none declared'}): nothing was run`,
            true,
          );
        }
        if (ctx.info.attempt > 1) {
          stage = 'restoring after a lost worker';
          const r = await runDeclared(pair.start, 120_000);
          log.warn({ exit: r.code }, 'drill retried after a lost worker: dependency started, not drilled again');
          return failed(
            `the worker running this drill was lost (attempt ${ctx.info.attempt - 1}); the dependency was started again (start command exit ${r.code}) and not taken down a second time: re-run the campaign to drill it`,
            r.code === 0,
          );
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
        const ran = await runDrill({
          stop: pair.stop,
          start: pair.start,
          beforeMs: parseDurationMs(cfg.before) ?? 10_000,
          downMs: parseDurationMs(cfg.down) ?? 10_000,
          observeMs: parseDurationMs(cfg.observe) ?? 60_000,
          users: cfg.users,
          thinkTimeMs: cfg.thinkTime
            ? (parseDurationMs(cfg.thinkTime) ?? 100)
            : Math.max(100, parseDurationMs(scenario.thinkTime) ?? 0),
          scenario,
          origin: origin.origin,
          headers,
          data: await dataSources(deps.store, campaign.scenario),
          http2: campaign.target.http2,
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
          stage: (s) => (stage = s),
          log: (msg, fields) => log.info(fields ?? {}, msg),
        });
        const analysed = analyseDrill(ran.observations, {
          name: cfg.name,
          users: cfg.users,
          ...targets,
          ...(cfg.maxErrorP95Ms !== undefined ? { maxErrorP95Ms: cfg.maxErrorP95Ms } : {}),
          tolerance: cfg.tolerance,
        });
        const result: FaultDrillResult = {
          ...analysed,
          restored: ran.restored,
          notes: [...analysed.notes, ...ran.notes],
        };
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
        if (err instanceof DrillRefused) return failed(err.message, err.restored, err.notes);
        // Not known whether the dependency was stopped: the workflow starts it again.
        return failed(`could not run: ${err instanceof Error ? err.message : String(err)}`, false);
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * Starts a drill's dependency again (the pair's start command): the workflow's cleanup after a drill that did
     * not end cleanly. A start that fails is thrown (and retried); a pair no longer declared is nothing to run.
     */
    async restoreDependency(input: { campaignId: string; index: number }): Promise<{ code: number }> {
      const campaign = await recordedCampaign(deps.store, input.campaignId);
      const cfg = campaign.faults!.drills![input.index]!;
      const pairs = deps.faultCommands ?? {};
      const pair = Object.hasOwn(pairs, cfg.commands) ? pairs[cfg.commands] : undefined;
      if (!pair) return { code: -1 };
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 1_000);
      try {
        const r = await runDeclared(pair.start, 120_000);
        deps.logger.info({ campaignId: input.campaignId, drill: cfg.name, exit: r.code }, 'drill dependency restored');
        if (r.code !== 0)
          throw ApplicationFailure.retryable(
            `the start command of ${cfg.commands} exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`,
            'RestoreFailed',
          );
        return { code: r.code };
      } finally {
        clearInterval(beat);
      }
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
      const range = async (
        what: string,
        query: string | undefined,
      ): Promise<Array<Array<[number, number]>> | undefined> => {
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
        // Each series (instance) on its own.
        const series = r.data.result
          .map((x) =>
            x.values.map(([t, v]) => [t, Number(v)] as [number, number]).filter(([, v]) => Number.isFinite(v)),
          )
          .filter((x) => x.length);
        if (!series.length) notes.push(`${what}: the query returned no samples over ${phase}`);
        return series;
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
