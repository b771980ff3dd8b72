/**
 * The monitoring phase: one activity per configured system, run side by side; their checks (and the
 * alert-accuracy checks the stress run made) are judged into a maturity level and the phase outcome.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Campaign } from '../config/schema';
import { parseDurationMs } from '../core/duration';
import { maturityLevel, monitoringOutcome, type CheckResult, type MonitoringResult } from '../core/monitoring';
import type { PhaseOutcome } from '../core/types';
import type { Activities } from './proxies';
import { store } from './proxies';

/** Probes of monitoring systems: quick, a few tries (an unreachable system is a result, not a retry). */
const monitor = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2s', maximumAttempts: 3, nonRetryableErrorTypes: ['ConfigError'] },
});

export async function runMonitoring(campaignId: string, campaign: Campaign, fromStress: CheckResult[]): Promise<{ outcome: PhaseOutcome; result?: MonitoringResult }> {
  const m = campaign.monitoring;
  if (!m) return { outcome: { status: 'not_run', reason: 'no monitoring section in the campaign file (counts against readiness)' } };
  const input = { monitoring: m };
  const a = m.alertmanager;
  const delivery = a && a.probe !== false
    ? proxyActivities<Activities>({
      startToCloseTimeout: (parseDurationMs(a.probe.timeout) ?? 60_000) + 60_000,
      heartbeatTimeout: '30 seconds',
      retry: { initialInterval: '2s', maximumAttempts: 2, nonRetryableErrorTypes: ['ConfigError'] },
    })
    : undefined;
  const parts = await Promise.all([
    m.prometheus ? monitor.checkPrometheus(input) : [],
    a ? monitor.checkAlertmanager(input) : [],
    delivery ? delivery.proveAlertDelivery(input).then((c) => [c]) : [],
    m.metricsEndpoints.length ? monitor.checkMetricsEndpoints(input) : [],
    m.grafana ? monitor.checkGrafana(input) : [],
    m.loki ? monitor.checkLoki(input) : [],
  ]);
  const checks = [...parts.flat(), ...fromStress];
  const maturity = maturityLevel(checks, m.targetLevel);
  const judged = monitoringOutcome(checks, maturity);
  const result: MonitoringResult = { checks, maturity, blockers: judged.blockers };
  await store.recordPhaseResult({ campaignId, phase: 'monitoring', result });
  return { outcome: { status: judged.status, reason: judged.reason }, result };
}
