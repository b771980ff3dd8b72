/**
 * The monitoring phase: one activity per configured system, run side by side; their checks (and the
 * alert-accuracy checks the stress run made) are judged into a maturity level and the phase outcome.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { MonitoringConfig } from '../config/schema';
import { parseDurationMs } from '../core/duration';
import {
  checksAt,
  maturityLevel,
  monitoringOutcome,
  type CheckResult,
  type MonitoringResult,
} from '../core/monitoring';
import type { PhaseOutcome } from '../core/types';
import { abortedOutcome } from '../core/outcomes';
import type { AbortControl } from './messages';
import { failureAsResult, store, type Activities } from './proxies';
import { PERMANENT } from '../core/errors';

/** Check results stamped with workflow time (deterministic). */
const check = checksAt(() => new Date());

/** Probes of monitoring systems: quick, a few tries (an unreachable system is a result, not a retry). */
const monitor = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2s', maximumAttempts: 3, nonRetryableErrorTypes: [...PERMANENT] },
});

/** Runs the monitoring phase of a campaign whose file has a monitoring section; stores its result. */
export async function runMonitoring(
  campaignId: string,
  m: MonitoringConfig,
  fromStress: CheckResult[],
  control?: AbortControl,
): Promise<{ outcome: PhaseOutcome; result: MonitoringResult }> {
  const input = { monitoring: m };
  const a = m.alertmanager;
  const delivery =
    a && a.probe !== false
      ? proxyActivities<Activities>({
          startToCloseTimeout: (parseDurationMs(a.probe.timeout) ?? 60_000) + 60_000,
          heartbeatTimeout: '30 seconds',
          retry: { initialInterval: '2s', maximumAttempts: 2, nonRetryableErrorTypes: [...PERMANENT] },
        })
      : undefined;
  // Tracing waits for the probe traces to show (up to visibleWithin) and looks the load's up: heartbeats.
  // Loki's log proof counts over each load window: its own budget too. Both heartbeat every 2 s.
  const slow = (budgetMs: number) =>
    proxyActivities<Activities>({
      startToCloseTimeout: budgetMs,
      heartbeatTimeout: '60 seconds',
      retry: { initialInterval: '2s', maximumAttempts: 2, nonRetryableErrorTypes: [...PERMANENT] },
    });
  const tracing = m.tracing ? slow((parseDurationMs(m.tracing.visibleWithin) ?? 30_000) + 15 * 60_000) : undefined;
  const logs = slow(10 * 60_000);
  // A probe activity that fails for good (e.g. a header's environment variable unset) is an error check.
  // An abort cancels the probes still running (the campaign moves on at once; a probe's HTTP timeout bounds the rest).
  const probe = (id: string, title: string, run: () => Promise<CheckResult[]>, severity: 'P1' | 'P2' = 'P1') =>
    failureAsResult(
      () => (control ? control.run(run) : run()),
      (reason) => {
        const stop = control?.aborted();
        return [
          stop
            ? check(
                id,
                title,
                severity,
                'not_evaluable',
                {
                  endpoint: '',
                  observed: `aborted by ${stop.by} before the probe finished`,
                  expected: 'the probe to run',
                },
                'Run the campaign again.',
              )
            : check(
                id,
                title,
                severity,
                'error',
                { endpoint: '', observed: `could not run: ${reason}`, expected: 'the probe to run' },
                'Fix the worker configuration named above.',
              ),
        ];
      },
    );
  const parts = await Promise.all([
    m.prometheus ? probe('prometheus.ready', 'Prometheus is up and ready', () => monitor.checkPrometheus(input)) : [],
    a ? probe('alertmanager.ready', 'Alertmanager is up and ready', () => monitor.checkAlertmanager(input)) : [],
    delivery
      ? probe('alertmanager.delivery', 'A test alert is really delivered', () =>
          delivery.proveAlertDelivery(input).then((c) => [c]),
        )
      : [],
    m.metricsEndpoints.length
      ? probe('metrics', 'Service /metrics endpoints', () => monitor.checkMetricsEndpoints(input))
      : [],
    m.grafana ? probe('grafana.health', 'Grafana is healthy (database ok)', () => monitor.checkGrafana(input)) : [],
    m.loki
      ? probe('loki.ready', 'Loki (log aggregation) is ready', () => logs.checkLoki({ ...input, campaignId }), 'P2')
      : [],
    tracing
      ? probe(
          'tracing.reachable',
          'The tracing backend answers',
          () => tracing.checkTracing({ campaignId, monitoring: m }),
          'P2',
        )
      : [],
  ]);
  const checks = [...parts.flat(), ...fromStress];
  if (a && a.probe === false) {
    checks.push(
      check(
        'alertmanager.delivery',
        'A test alert is really delivered',
        'P1',
        'not_evaluable',
        {
          endpoint: a.url,
          observed: 'delivery proof disabled (monitoring.alertmanager.probe: false)',
          expected: 'a test alert received end to end',
        },
        'Set monitoring.alertmanager.probe.listen and route the readiness_probe label to a webhook there: without the proof, maturity stops below level 2.',
      ),
    );
  }
  // Tracing counts toward level 3 for campaigns that reach this code after the change (replays keep their level).
  const maturity = maturityLevel(checks, m.targetLevel, { tracing: patched('tracing-maturity') });
  const judged = monitoringOutcome(checks, maturity);
  const result: MonitoringResult = { checks, maturity, blockers: judged.blockers };
  await store.recordPhaseResult({ campaignId, phase: 'monitoring', result });
  const stop = control?.aborted();
  if (stop) return { outcome: abortedOutcome(stop, 'monitoring probes cancelled'), result };
  return { outcome: { status: judged.status, reason: judged.reason }, result };
}
