import { formatDurationMs, parseDurationMs } from '../core/duration';
import { validateCampaign } from './load';
import type { Campaign, CampaignFileInput } from './schema';

/**
 * The demo campaign: the hand-run campaign's smoke / normal / peak / endurance phases, progressive stress
 * and a spike, compressed to seconds and scaled to the bundled demo target. `scale` multiplies every duration (tests use < 1).
 */
export function demoCampaign(baseUrl: string, scale = 1, opts: { databaseEnv?: string } = {}): Campaign {
  const d = (text: string, minMs = 1000) =>
    formatDurationMs(Math.max(minMs, Math.round(((parseDurationMs(text) ?? 0) * scale) / 1000) * 1000));
  const input: CampaignFileInput = {
    apiVersion: 'readiness/v1',
    name: 'demo',
    owner: 'readiness demo',
    target: { baseUrl, healthPath: '/health' },
    scenario: {
      thinkTime: '50ms',
      requestTimeout: '2s',
      vars: { id: { range: [1, 500] } },
      requests: [
        { name: 'get-item', method: 'GET', path: '/api/items/{{id}}', weight: 6, expect: { status: [200, 404] } },
        { name: 'list-items', method: 'GET', path: '/api/items?limit=20', weight: 2 },
        {
          name: 'create-item',
          method: 'POST',
          path: '/api/items',
          weight: 2,
          json: { name: 'demo item' },
          expect: { status: 201 },
        },
      ],
    },
    baseline: {
      phases: [
        { name: 'smoke', users: 5, duration: d('10s') },
        { name: 'normal', users: 20, duration: d('20s') },
        { name: 'peak', users: 100, duration: d('20s') },
        { name: 'endurance', users: 20, duration: d('30s') },
      ],
      thresholds: ['p(95)<500', 'error_rate<0.01'],
    },
    // The hand-run campaign's progressive stress (200 users +100 every 2 m), scaled to the demo target: one
    // continuous ramp, several passing steps, a breaking point, then the recovery at the first passing level.
    stress: {
      startUsers: 10,
      stepUsers: 10,
      stepDuration: d('6s'),
      maxUsers: 200,
      stopWhen: ['error_rate>0.01', 'p(95)>1000'],
      // Back at the first passing level: two good 1 s windows in a row within 15 s (never less than 4 s when scaled down).
      recovery: { within: d('15s', 4000), windows: 2, window: '1s', tolerance: 0.5 },
    },
    spike: {
      users: 150,
      duration: d('10s'),
      baselineUsers: 10,
      baselineDuration: d('10s'),
      recovery: { within: d('20s', 4000), windows: 2, window: '1s', tolerance: 0.5 },
    },
    // The restore drill on the demo target's own database (named by an environment variable, as in production).
    ...(opts.databaseEnv
      ? { backup: { postgres: { connection: { fromEnv: opts.databaseEnv }, maxRestoreTime: '5m', rpoTarget: '24h' } } }
      : {}),
  };
  const result = validateCampaign(input);
  if (!result.ok)
    throw new Error(
      `built-in demo campaign is invalid: ${result.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
  return result.campaign;
}
