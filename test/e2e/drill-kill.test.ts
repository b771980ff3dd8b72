/**
 * A drill never leaves its dependency stopped: SIGKILL the worker while Redis is down for a drill; the kill leaves
 * it down (nobody is left to start it); the replacement worker's retry starts Redis first, then drills anew, and the
 * campaign ends with Redis running and the drill measured.
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

test('when the worker is SIGKILLed while a drill has Redis down, then the retry starts Redis first and the drill completes', async () => {
  const dir = mkdtempSync(path.join(testEnv.dir, 'drill-kill-'));
  const port = await freePort();
  const commands = await startDeclaredRedis(dir, port, 1);
  const target = await startRedisTarget({ redisUrl: `redis://127.0.0.1:${port}`, breaker: true });
  const { client, kill, startAnother, close } = await killableWorker('drill-kill', {
    READINESS_RECOVERY_COMMANDS: JSON.stringify(commands),
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
            stop: 'stop-redis',
            start: 'start-redis',
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
    expect(drill.notes.join(' ')).toMatch(/attempt 2: the previous attempt stopped without finishing/);
    expect(drill.error).toBeUndefined();
    expect(drill.status).not.toBe('error');
    expect(drill.restored).toBe(true);
    expect(drill.recovery.firstSuccessS).not.toBeNull();
    recordFigures('drill-worker-kill', {
      scenario: 'Worker SIGKILLed while a drill had Redis down; the replacement restores Redis, then drills anew',
      test: 'test/e2e/drill-kill.test.ts',
      figures: { redisRestoredAfterKillMs: restoredAfterMs, drillStatus: drill.status },
    });
  } finally {
    await close();
    await target.stop();
    await stopDeclaredRedis(port);
  }
}, 240_000);
