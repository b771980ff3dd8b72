/**
 * Monitoring activities: one per monitored system, so each has its own timeout and retries and shows in
 * history on its own. They return check results; an unreachable system is a result (error), not an
 * exception. Header values come from the worker's environment and never leave it.
 */
import { Context } from '@temporalio/activity';
import type { MonitoringConfig } from '../../config/schema';
import { parseDurationMs } from '../../core/duration';
import { egressGuard } from '../../core/egress';
import type { CheckResult } from '../../core/monitoring';
import type { TelemetrySample } from '../../core/stress';
import { proveDelivery, alertmanagerChecks } from '../../monitoring/alertmanager';
import { at, probe, promData } from '../../monitoring/http';
import { prometheusChecks } from '../../monitoring/prometheus';
import { grafanaChecks, lokiChecks, metricsEndpointChecks } from '../../monitoring/services';
import { logProofChecks } from '../../monitoring/logs';
import { BACKENDS, tracingChecks } from '../../monitoring/tracing';
import { recordedCampaign } from '../campaign-config';
import { allowedUrl } from '../egress';
import { toolMetrics } from '../../infra/metrics';
import type { ActivityDeps } from '../deps';

const timeoutOf = (m: MonitoringConfig) => parseDurationMs(m.timeout) ?? 10_000;

export function createMonitoringActivities(deps: ActivityDeps) {
  // Every system the campaign names is reached through the egress policy for monitoring and backup systems.
  const egress = egressGuard(deps.egress, 'system');
  const headers = (h: Parameters<typeof deps.secrets.headers>[0], field: string) => deps.secrets.headers(h, field);
  return {
    async checkPrometheus(input: { monitoring: MonitoringConfig }): Promise<CheckResult[]> {
      const p = input.monitoring.prometheus!;
      return toolMetrics.checks(
        'prometheus',
        await prometheusChecks({
          url: p.url,
          headers: headers(p.headers, 'monitoring.prometheus.headers'),
          egress,
          requiredJobs: p.requiredJobs,
          minRetentionMs: parseDurationMs(p.minRetention) ?? 0,
          requireRunbooks: p.requireRunbooks,
          timeoutMs: timeoutOf(input.monitoring),
        }),
      );
    },

    async checkAlertmanager(input: { monitoring: MonitoringConfig }): Promise<CheckResult[]> {
      const a = input.monitoring.alertmanager!;
      return toolMetrics.checks(
        'alertmanager',
        await alertmanagerChecks({
          url: a.url,
          headers: headers(a.headers, 'monitoring.alertmanager.headers'),
          timeoutMs: timeoutOf(input.monitoring),
          egress,
        }),
      );
    },

    /** The delivery proof: a test alert posted and received on the probe webhook (heartbeats while waiting). */
    async proveAlertDelivery(input: { monitoring: MonitoringConfig }): Promise<CheckResult> {
      const a = input.monitoring.alertmanager!;
      if (a.probe === false) throw new Error('proveAlertDelivery needs monitoring.alertmanager.probe');
      const ctx = Context.current();
      const result = await proveDelivery({
        url: a.url,
        headers: headers(a.headers, 'monitoring.alertmanager.headers'),
        timeoutMs: timeoutOf(input.monitoring),
        egress,
        listen: a.probe.listen,
        waitMs: parseDurationMs(a.probe.timeout) ?? 60_000,
        heartbeat: () => ctx.heartbeat(),
      });
      deps.logger.info(
        { check: result.id, status: result.status, observed: result.evidence.observed },
        'alert delivery probe',
      );
      return toolMetrics.checks('alert_delivery', result);
    },

    async checkMetricsEndpoints(input: { monitoring: MonitoringConfig }): Promise<CheckResult[]> {
      const m = input.monitoring;
      return toolMetrics.checks(
        'metrics_endpoints',
        await metricsEndpointChecks(
          m.metricsEndpoints.map((e, i) => ({
            name: e.name,
            url: e.url,
            headers: headers(e.headers, `monitoring.metricsEndpoints[${i}].headers`),
            requiredMetrics: e.requiredMetrics,
          })),
          m.prometheus
            ? { url: m.prometheus.url, headers: headers(m.prometheus.headers, 'monitoring.prometheus.headers') }
            : undefined,
          timeoutOf(m),
          egress,
        ),
      );
    },

    async checkGrafana(input: { monitoring: MonitoringConfig }): Promise<CheckResult[]> {
      const g = input.monitoring.grafana!;
      return toolMetrics.checks(
        'grafana',
        await grafanaChecks(
          g.url,
          headers(g.headers, 'monitoring.grafana.headers'),
          timeoutOf(input.monitoring),
          egress,
        ),
      );
    },

    /**
     * Loki: ready, recent logs; with the campaign (newer workflows pass it), the log proof: retention, the errors
     * served against the error lines, the search time, a failed request's trace id in the logs.
     */
    async checkLoki(input: { monitoring: MonitoringConfig; campaignId?: string }): Promise<CheckResult[]> {
      const l = input.monitoring.loki!;
      const h = headers(l.headers, 'monitoring.loki.headers');
      const timeoutMs = timeoutOf(input.monitoring);
      const basic = await lokiChecks({
        url: l.url,
        headers: h,
        query: l.query,
        sinceMs: parseDurationMs(l.since) ?? 3_600_000,
        timeoutMs,
        egress,
      });
      if (!input.campaignId || basic.find((c) => c.id === 'loki.ready')?.status !== 'pass')
        return toolMetrics.checks('loki', basic);
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 2_000);
      try {
        const [windows, marks] = await Promise.all([
          deps.store.errorWindows(input.campaignId),
          deps.store.traceMarks(input.campaignId),
        ]);
        const proof = await logProofChecks({
          url: l.url,
          headers: h,
          egress,
          timeoutMs,
          ...(l.errorQuery ? { errorQuery: l.errorQuery } : {}),
          minErrorLogRatio: l.minErrorLogRatio,
          maxSearchMs: parseDurationMs(l.maxSearchTime) ?? 5_000,
          minRetentionMs: parseDurationMs(l.minRetention) ?? 7 * 86_400_000,
          ...(l.query ? { selector: l.query } : {}),
          windows,
          failedMarks: marks.traces.filter((m) => !m.ok && m.status >= 500),
        });
        return toolMetrics.checks('loki', [...basic, ...proof]);
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * Tracing: the backend answers; fresh probe requests to the target's health path, marked with a traceparent, are
     * found there; the load's marked requests (read back from the stored measurements) give the effective sample rate.
     */
    async checkTracing(input: { campaignId: string; monitoring: MonitoringConfig }): Promise<CheckResult[]> {
      const t = input.monitoring.tracing!;
      const campaign = await recordedCampaign(deps.store, input.campaignId);
      const probeUrl = allowedUrl(
        campaign.target.baseUrl,
        campaign.target.healthPath,
        'target',
        deps.egress,
        'target.healthPath',
      );
      const marks = await deps.store.traceMarks(input.campaignId);
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 2_000);
      try {
        return toolMetrics.checks(
          'tracing',
          await tracingChecks({
            backend: BACKENDS[t.type],
            url: t.url,
            headers: headers(t.headers, 'monitoring.tracing.headers'),
            egress,
            timeoutMs: timeoutOf(input.monitoring),
            probeUrl,
            probeHeaders: deps.secrets.headers(campaign.target.headers, 'target.headers'),
            probes: t.probes,
            visibleWithinMs: parseDurationMs(t.visibleWithin) ?? 30_000,
            ...(t.service ? { service: t.service } : {}),
            marked: { count: marks.count, traceIds: marks.traces.filter((m) => m.ok).map((m) => m.traceId) },
            expectedSampleRate: t.expectedSampleRate,
            sampleRateTolerance: t.sampleRateTolerance,
          }),
        );
      } finally {
        clearInterval(beat);
      }
    },

    /** Stress telemetry: each PromQL query's value at the end of a step (the sum when it returns several series). */
    async sampleTelemetry(input: {
      monitoring: MonitoringConfig;
      queries: Array<{ name: string; query: string; max?: number }>;
      atMs?: number;
    }): Promise<TelemetrySample[]> {
      const p = input.monitoring.prometheus!;
      const h = headers(p.headers, 'monitoring.prometheus.headers');
      return Promise.all(
        input.queries.map(async (q) => {
          const r = promData<{ resultType: string; result: Array<{ value: [number, string] }> | [number, string] }>(
            await probe(
              at(p.url, '/api/v1/query', {
                query: q.query,
                ...(input.atMs ? { time: String(Math.min(input.atMs, Date.now()) / 1000) } : {}),
              }),
              { headers: h, timeoutMs: timeoutOf(input.monitoring), egress },
            ),
          );
          if ('problem' in r) return { name: q.name, query: q.query, value: null, error: r.problem };
          const values =
            r.data.resultType === 'scalar'
              ? [Number((r.data.result as [number, string])[1])]
              : (r.data.result as Array<{ value: [number, string] }>).map((s) => Number(s.value[1]));
          const value = values.length ? values.reduce((a, b) => a + b, 0) : null;
          return {
            name: q.name,
            query: q.query,
            value,
            ...(q.max !== undefined ? { max: q.max, saturated: value !== null && value >= 0.9 * q.max } : {}),
            ...(values.length ? {} : { error: 'no series' }),
          };
        }),
      );
    },

    /**
     * Alert accuracy under load: when `alert` first reached pending or firing in [fromMs, fromMs + withinMs],
     * read from Prometheus' own ALERTS series. It runs after the stress steps, and validation keeps `within`
     * inside a step, so the window has passed: one range query answers it.
     */
    async alertFiredWithin(input: {
      monitoring: MonitoringConfig;
      alert: string;
      fromMs: number;
      withinMs: number;
    }): Promise<{ firstSeenMs: number | null; states: string[]; error?: string }> {
      const p = input.monitoring.prometheus!;
      const h = headers(p.headers, 'monitoring.prometheus.headers');
      const end = Math.min(Date.now(), input.fromMs + input.withinMs);
      const qs = {
        query: `ALERTS{alertname="${input.alert}"}`,
        start: String(input.fromMs / 1000),
        end: String(end / 1000),
        step: '1',
      };
      const r = promData<{ result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }>(
        await probe(at(p.url, '/api/v1/query_range', qs), {
          headers: h,
          timeoutMs: timeoutOf(input.monitoring),
          egress,
        }),
      );
      if ('problem' in r) return { firstSeenMs: null, states: [], error: r.problem };
      const seen = r.data.result.flatMap((s) =>
        s.values.map(([t]) => ({ t: t * 1000, state: s.metric.alertstate ?? '' })),
      );
      return {
        firstSeenMs: seen.length ? Math.min(...seen.map((x) => x.t)) : null,
        states: [...new Set(seen.map((x) => x.state))].sort(),
      };
    },
  };
}
