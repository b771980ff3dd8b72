/**
 * The tracing backends' answers as each shapes them (Jaeger's query API, Tempo's OTLP JSON v1 and v2), the W3C trace
 * context the probes send, and Loki's retention read from its running configuration.
 */
import { JAEGER, TEMPO, traceContext } from '../../src/monitoring/tracing';
import { lokiRetention } from '../../src/monitoring/logs';

test('a Jaeger trace answer gives its services; an empty or error answer is not a trace', () => {
  const found = {
    data: [{ traceID: 'ab', spans: [{}], processes: { p1: { serviceName: 'api' }, p2: { serviceName: 'db' } } }],
  };
  expect(JAEGER.services(found)).toEqual(['api', 'db']);
  expect(JAEGER.services({ data: null, errors: [{ code: 404, msg: 'trace not found' }] })).toBeUndefined();
  expect(JAEGER.services({ data: [] })).toBeUndefined();
  expect(JAEGER.tracePath('0af7651916cd43dd8448eb211c80319c')).toBe('/api/traces/0af7651916cd43dd8448eb211c80319c');
  expect(JAEGER.ready(200, '{"data":["api"],"total":1}')).toBe(true);
  expect(JAEGER.ready(200, '<html>')).toBe(false);
});

test('a Tempo trace answer (v1 batches, OTLP resourceSpans, v2 under trace) gives its services', () => {
  const attrs = (name: string) => ({
    resource: { attributes: [{ key: 'service.name', value: { stringValue: name } }] },
  });
  expect(TEMPO.services({ batches: [attrs('api'), attrs('api')] })).toEqual(['api']);
  expect(TEMPO.services({ resourceSpans: [attrs('api'), attrs('worker')] })).toEqual(['api', 'worker']);
  expect(TEMPO.services({ trace: { resourceSpans: [attrs('api')] } })).toEqual(['api']);
  expect(TEMPO.services({})).toBeUndefined();
  expect(TEMPO.ready(200, 'ready')).toBe(true);
  expect(TEMPO.ready(503, 'Ingester not ready')).toBe(false);
});

test('a probe trace context is a sampled W3C traceparent carrying its trace id', () => {
  const a = traceContext();
  const b = traceContext();
  expect(a.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  expect(a.traceparent.split('-')[1]).toBe(a.traceId);
  expect(a.traceId).not.toBe(b.traceId);
});

test("Loki's retention: the compactor's switch and the period, read from its /config YAML", () => {
  const on = 'compactor:\n  retention_enabled: true\nlimits_config:\n  retention_period: 744h\n';
  expect(lokiRetention(on)).toEqual({ enabled: true, periodMs: 744 * 3_600_000 });
  expect(lokiRetention('compactor:\n  retention_enabled: false\nlimits_config:\n  retention_period: 0s\n')).toEqual({
    enabled: false,
    periodMs: 0,
  });
  expect(lokiRetention('limits_config:\n  retention_period: 7d\n')).toEqual({
    enabled: false,
    periodMs: 7 * 86_400_000,
  });
  expect(lokiRetention('{ not: [yaml')).toBeUndefined();
});
