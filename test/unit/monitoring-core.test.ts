import { parseCampaignYaml } from '../../src/config/load';
import { MINIMAL_YAML, yamlProblems } from '../helpers/config';
import { parseExposition } from '../../src/core/exposition';
import {
  checksAt,
  isBroadSilence,
  maturityLevel,
  monitoringOutcome,
  parsePromDuration,
  retentionTimeMs,
  type CheckResult,
} from '../../src/core/monitoring';

const c = (id: string, status: CheckResult['status'], severity: CheckResult['severity'] = 'P1') =>
  checksAt(() => new Date(0))(id, id, severity, status, { endpoint: 'x', observed: 'o', expected: 'e' }, 'fix it');

describe('monitoring judgements', () => {
  test.each([
    ['15d', 15 * 86_400_000],
    ['1d12h', 36 * 3_600_000],
    ['90m', 5_400_000],
    ['2w', 14 * 86_400_000],
    ['500ms', 500],
    ['15x', undefined],
    ['', undefined],
    ['d', undefined],
  ])('Prometheus duration %s is %s ms', (s, ms) => {
    expect(parsePromDuration(s)).toBe(ms);
  });

  test('when retention is limited by time and size, then the time part is read; size only has no time limit', () => {
    expect(retentionTimeMs('15d or 512MiB')).toBe(15 * 86_400_000);
    expect(retentionTimeMs('2h')).toBe(7_200_000);
    expect(retentionTimeMs('512MiB')).toBeUndefined();
  });

  test('when a silence pins an alert or instance it is narrow; match-all, severity-only or negative matchers are broad', () => {
    expect(isBroadSilence([{ name: 'alertname', value: 'DiskFull', isRegex: false }])).toBe(false);
    expect(
      isBroadSilence([
        { name: 'instance', value: 'db-1:9100', isRegex: false },
        { name: 'severity', value: 'warning', isRegex: false },
      ]),
    ).toBe(false);
    expect(isBroadSilence([{ name: 'severity', value: '.*', isRegex: true }])).toBe(true);
    expect(isBroadSilence([{ name: 'env', value: 'prod', isRegex: false }])).toBe(true);
    expect(isBroadSilence([{ name: 'alertname', value: '.+', isRegex: true }])).toBe(true);
    expect(isBroadSilence([{ name: 'alertname', value: 'Watchdog', isRegex: false, isEqual: false }])).toBe(true);
  });

  test('when a page is Prometheus text format, then names and samples are read; HTML is not', () => {
    const ok = parseExposition(
      '# HELP a_total A.\n# TYPE a_total counter\na_total{code="200",path="/x"} 3\nlat_bucket{le="+Inf"} 5 1700000000000\nlat_sum 1.5e-3\nup NaN\n',
    );
    expect(ok.problems).toEqual([]);
    expect(ok.samples).toBe(4);
    expect([...ok.names]).toEqual(expect.arrayContaining(['a_total', 'lat', 'lat_bucket', 'up']));
    const bad = parseExposition('<html>\n<body>metrics</body>\n');
    expect(bad.problems[0]).toMatch(/line 1: not a sample/);
    expect(parseExposition('').problems).toEqual(['no samples']);
  });

  test('when checks pass level by level, then the maturity level rises, and what is missing is named', () => {
    const basic = [c('prometheus.ready', 'pass', 'P0'), c('prometheus.targets_up', 'pass')];
    expect(maturityLevel(basic, 2)).toMatchObject({ level: 1, label: 'Basic' });
    expect(maturityLevel(basic, 2).gaps).toContain('an Alertmanager wired to Prometheus');
    const reactive = [
      ...basic,
      c('prometheus.rules_loaded', 'pass'),
      c('prometheus.rules_healthy', 'warn'),
      c('prometheus.alertmanager_discovered', 'pass'),
      c('alertmanager.delivery', 'pass'),
      c('prometheus.runbooks', 'pass'),
      c('loki.ready', 'pass', 'P2'),
    ];
    expect(maturityLevel(reactive, 2)).toMatchObject({ level: 2, label: 'Reactive' });
    // A partial delivery proof (warn) is not a delivered alert.
    expect(
      maturityLevel(
        [...reactive.filter((x) => x.id !== 'alertmanager.delivery'), c('alertmanager.delivery.partial', 'warn')],
        2,
      ).level,
    ).toBe(1);
    const proactive = [
      ...reactive,
      c('metrics.api.reachable', 'pass'),
      c('metrics.api.scraped', 'pass'),
      c('grafana.health', 'pass', 'P2'),
      c('alerts_under_load.HighErrorRate', 'pass'),
    ];
    // Without tracing, level 3 is out of reach, and the gap says so.
    expect(maturityLevel(proactive, 2)).toMatchObject({
      level: 2,
      gaps: ["distributed tracing: the target's traces visible"],
    });
    const traced = [...proactive, c('tracing.reachable', 'pass', 'P2'), c('tracing.visible', 'pass', 'P2')];
    expect(maturityLevel(traced, 2)).toMatchObject({ level: 3, label: 'Proactive' });
    expect(maturityLevel([...traced.slice(0, -1), c('tracing.visible', 'fail', 'P2')], 2).level).toBe(2);
    expect(maturityLevel([], 2)).toMatchObject({ level: 0, label: 'None' });
  });

  test('when a P0/P1 check fails or errors, or maturity is under target, then the phase fails with blockers; P2 failures do not block', () => {
    const base = [c('prometheus.ready', 'pass', 'P0'), c('prometheus.targets_up', 'pass')];
    expect(monitoringOutcome([...base, c('prometheus.retention', 'fail', 'P2')], maturityLevel(base, 1))).toMatchObject(
      { status: 'pass' },
    );
    const failing = [...base, c('prometheus.rules_loaded', 'fail')];
    const out = monitoringOutcome(failing, maturityLevel(failing, 2));
    expect(out.status).toBe('fail');
    expect(out.blockers[0]).toBe('P1 prometheus.rules_loaded');
    expect(out.blockers[1]).toMatch(/^maturity level 1 \(Basic\), target 2: missing alert rules loaded and healthy/);
  });
});

describe('monitoring section validation', () => {
  const base = MINIMAL_YAML;
  const problems = (extra: string) => yamlProblems(base + extra);

  test('when the monitoring section is valid, then defaults apply (target level 2, no probe, 15d retention)', () => {
    const c = parseCampaignYaml(
      `${base}monitoring: { prometheus: { url: http://127.0.0.1:9090 }, alertmanager: { url: http://127.0.0.1:9093 } }\n`,
    );
    expect(c.monitoring).toMatchObject({
      targetLevel: 2,
      timeout: '10s',
      prometheus: { minRetention: '15d', requireRunbooks: true, requiredJobs: [] },
      alertmanager: { probe: false },
    });
  });

  test.each([
    [
      'monitoring: { prometheus: { url: "ftp://x" } }',
      'monitoring.prometheus.url: prometheus.url must be an http:// or https:// URL',
    ],
    [
      'monitoring: { alertmanager: { url: http://127.0.0.1:9093, probe: { listen: "9099" } } }',
      'monitoring.alertmanager.probe',
    ],
    [
      'monitoring: { prometheus: { url: http://127.0.0.1:9090, minRetention: forever } }',
      'monitoring.prometheus.minRetention: invalid minRetention',
    ],
    [
      'monitoring: { metricsEndpoints: [{ name: api, url: http://127.0.0.1:1/metrics, requiredMetrics: ["bad-name"] }] }',
      'monitoring.metricsEndpoints[0].requiredMetrics[0]: invalid metric name',
    ],
    ['monitoring: { targetLevel: 7 }', 'monitoring.targetLevel:'],
    [
      'monitoring: { targetLevel: 4 }',
      'monitoring.targetLevel: targetLevel must be at most 3: levels 4 and 5 are not assessed',
    ],
    [
      'stress: { telemetry: [{ name: pool, query: up }] }',
      'stress.telemetry: telemetry queries need monitoring.prometheus.url',
    ],
    [
      'monitoring: { prometheus: { url: http://127.0.0.1:9090 }, alertsUnderLoad: [{ alert: HighErrorRate, when: "error_rate>0.01" }] }',
      'monitoring.alertsUnderLoad: alert accuracy under load is checked during the stress run: add a stress section',
    ],
    [
      'stress: { stepDuration: 30s }\nmonitoring: { prometheus: { url: http://127.0.0.1:9090 }, alertsUnderLoad: [{ alert: HighErrorRate, when: "error_rate>0.01", within: 1m }] }',
      'monitoring.alertsUnderLoad[0].within: within must not exceed stress.stepDuration',
    ],
    [
      'stress: {}\nmonitoring: { prometheus: { url: http://127.0.0.1:9090 }, alertsUnderLoad: [{ alert: "High Error", when: "errors>1" }] }',
      'monitoring.alertsUnderLoad[0].alert: alert must be an alert rule name',
    ],
  ])('when the file has %s, then validation names the field', (extra, expected) => {
    expect(problems(`${extra}\n`).join('\n')).toContain(expected);
  });
});
