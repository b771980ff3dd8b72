/**
 * A drill never leaves its dependency stopped: SIGKILL the worker while Redis is down for a drill; the kill leaves
 * it down (nobody is left to start it); the replacement worker's retry starts Redis and reports the lost drill as an
 * error (it never takes the dependency down a second time), and the campaign ends with Redis running.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { FaultDrillResult } from '../../src/core/drills';
import { freePort } from '../../src/infra/process';
import { killableWorker } from '../helpers/cli';
import { testEnv, uid } from '../helpers/env';
import { recordFigures } from '../helpers/figures';
import { redisUp, startDeclaredRedis, stopDeclaredRedis } from '../helpers/redis-commands';
import { startRedisTarget } from '../helpers/redis-target';

test('when the worker is SIGKILLed while a drill has Redis down, then the retry starts Redis, reports the loss and does not drill a second time', async () => {
  const dir = mkdtempSync(path.join(testEnv.dir, 'drill-kill-'));
  const port = await freePort();
  const commands = await startDeclaredRedis(dir, port, 1);
  const target = await startRedisTarget({ redisUrl: `redis://127.0.0.1:${port}`, breaker: true });
  const { client, kill, startAnother, close } = await killableWorker('drill-kill', {
    READINESS_FAULT_COMMANDS: JSON.stringify({ redis: commands }),
  });
  try {
    const parsed = validateCampaign({
      apiVersion: 'readiness/v1',
      name: `drill-kill-${uid()}`,
      target: { baseUrl: target.url },
      scenario: { thinkTime: '50ms', requests: [{ name: 'item', method: 'GET', path: '/item' }] },
      faults: {
        drills: [
          {
            name: 'redis',
            commands: 'redis',
            down: '5s',
            before: '3s',
            observe: '15s',
            users: 2,
          },
        ],
      },
      settings: { heartbeatTimeout: '2s' },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const handle = await startCampaign(client, parsed.campaign);
    const deadline = Date.now() + 90_000;
    while (await redisUp(port)) {
      if (Date.now() > deadline) throw new Error('the drill never stopped Redis');
      await new Promise((r) => setTimeout(r, 100));
    }
    const killedAt = Date.now();
    await kill();
    // Nobody is left to start it: still down a moment later.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await redisUp(port)).toBe(false);
    await startAnother();
    // The retry (after the 2 s heartbeat timeout) starts Redis before anything else.
    let restoredAfterMs = -1;
    while (Date.now() < killedAt + 60_000) {
      if (await redisUp(port)) {
        restoredAfterMs = Date.now() - killedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(restoredAfterMs).toBeGreaterThan(0);
    const result = await handle.result();
    expect(await redisUp(port)).toBe(true);
    const report = JSON.parse(readFileSync(path.join(result.reportDir, 'report.json'), 'utf8'));
    const drill = report.faults.drills[0] as FaultDrillResult;
    // The retry started Redis and reported the loss; it never took Redis down a second time.
    expect(drill.status).toBe('error');
    expect(drill.error).toMatch(
      /the worker running this drill was lost .*started again \(start command exit 0\) and not taken down a second time/,
    );
    expect(drill.restored).toBe(true);
    const item = report.checklist.items.find((i: { id: string }) => i.id === 'ops.fault-recovery');
    expect(item.status).toBe('error');
    recordFigures('drill-worker-kill', {
      scenario:
        'Worker SIGKILLed while a drill had Redis down; the replacement restores Redis and reports the drill, never a second outage',
      test: 'test/e2e/drill-kill.test.ts',
      figures: { redisRestoredAfterKillMs: restoredAfterMs, drillStatus: drill.status, restored: drill.restored },
    });
  } finally {
    await close();
    await target.stop();
    await stopDeclaredRedis(port);
  }
}, 240_000);
