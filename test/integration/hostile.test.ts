/**
 * Hostile values from the outside world: a target and a monitoring endpoint that stream answers without end
 * (memory must stay bounded, the requests count as errors) and shell metacharacters in a recovery command
 * (argv only: never interpreted by a shell).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { validateCampaign } from '../../src/config/load';
import { planFromPhase } from '../../src/config/load-plan';
import { serviceRecoveryDrill } from '../../src/backup/service';
import { runLoad } from '../../src/engine/run';
import { MAX_PROBE_BYTES, probe } from '../../src/monitoring/http';
import { testEnv } from '../helpers/env';
import { recordFigures } from '../helpers/figures';
import { startTarget } from '../helpers/target';
import { egressGuard } from '../../src/core/egress';

const loopbackOnly = egressGuard({ targets: ['loopback'], systems: ['loopback'] }, 'system');

/** Answers 200 and then streams 64 KiB chunks until the client goes away; counts the bytes it sent. */
function endless() {
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const handler = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const pump = () => {
      while (!res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  };
  return { handler, sent: () => sent };
}

/** Runs `work` while sampling this process's resident memory; returns the peak growth in MB. */
async function peakGrowthMb<T>(work: () => Promise<T>): Promise<{ value: T; growthMb: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, growthMb: Math.round((peak - before) / 1e6) };
  } finally {
    clearInterval(timer);
  }
}

test('when the target streams every answer without end, then each request is cut at the body limit, counted as an error, and memory stays bounded', async () => {
  const stream = endless();
  const target = await startTarget(stream.handler);
  try {
    const r = validateCampaign({
      apiVersion: 'readiness/v1',
      name: 'endless',
      target: { baseUrl: target.url },
      scenario: { requests: [{ name: 'big', method: 'GET', path: '/big' }] },
      baseline: { phases: [{ name: 'p', users: 4, duration: '3s' }] },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const plan = planFromPhase(r.campaign.baseline!.phases[0]!, r.campaign.scenario);
    const { value: result, growthMb } = await peakGrowthMb(() =>
      runLoad({ plan, scenario: r.campaign.scenario, origin: target.url, headers: {} }),
    );
    const totals = result.metrics.totals();
    expect(totals.requests).toBeGreaterThan(10);
    expect(totals.errors).toBe(totals.requests);
    expect(Object.keys(totals.errorKinds)).toEqual(['body_too_large']);
    // The target sent far more than it would take to fill memory if bodies were kept; the process grew little.
    expect(stream.sent()).toBeGreaterThan(totals.requests * plan.maxBodyBytes);
    expect(growthMb).toBeLessThan(150);
    recordFigures('hostile-endless-target', {
      scenario: 'Target streams every answer without end (bounded memory)',
      test: 'test/integration/hostile.test.ts',
      figures: {
        requests: totals.requests,
        cutAtBytes: plan.maxBodyBytes,
        targetSentMb: Math.round(stream.sent() / 1e6),
        rssGrowthMb: growthMb,
      },
    });
  } finally {
    await target.close();
  }
});

test('when a monitoring endpoint streams without end or announces a huge body, then the probe is cut off at its limit with a clear error', async () => {
  const stream = endless();
  const target = await startTarget((req, res) => {
    if (req.url === '/declared') res.writeHead(200, { 'content-length': String(10 * MAX_PROBE_BYTES) }).write('x');
    else if (req.url === '/small') res.writeHead(200).end('small answer');
    else if (req.url === '/hang') return;
    else stream.handler(req, res);
  });
  try {
    const { value: cut, growthMb } = await peakGrowthMb(() =>
      probe(`${target.url}/metrics`, { timeoutMs: 30_000, egress: loopbackOnly }),
    );
    expect(cut).toMatchObject({ ok: false, error: `answer too large: over the ${MAX_PROBE_BYTES}-byte limit` });
    expect(growthMb).toBeLessThan(MAX_PROBE_BYTES / 1e6 + 100);
    const declared = await probe(`${target.url}/declared`, { timeoutMs: 30_000, egress: loopbackOnly });
    expect(declared).toMatchObject({
      ok: false,
      error: `answer too large: content-length ${10 * MAX_PROBE_BYTES} bytes, over the ${MAX_PROBE_BYTES}-byte limit`,
    });
    expect(await probe(`${target.url}/hang`, { timeoutMs: 300, egress: loopbackOnly })).toMatchObject({
      ok: false,
      error: 'no answer within 300 ms',
    });
    // Under the limit, an answer still comes through whole.
    expect(await probe(`${target.url}/small`, { timeoutMs: 5_000, egress: loopbackOnly })).toMatchObject({
      ok: true,
      status: 200,
      body: 'small answer',
    });
  } finally {
    await target.close();
  }
}, 60_000);

test('when a recovery command carries shell metacharacters, then they reach the program as literal arguments and nothing else runs', async () => {
  const dir = mkdtempSync(path.join(testEnv.dir, 'meta-'));
  const marker = path.join(dir, 'pwned');
  const health = await startTarget((_req, res) => res.writeHead(200).end('ok'));
  try {
    for (const arg of [
      `x; touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `x && touch ${marker}`,
      `x | touch ${marker}`,
    ]) {
      const r = await serviceRecoveryDrill({
        name: 'api',
        command: 'echo',
        healthUrl: `${health.url}/health`,
        maxRecoveryMs: 1_000,
        commands: { echo: ['/bin/echo', arg] },
        egress: loopbackOnly,
      });
      // echo printed its argument and exited 0; the service never went down, which the drill reports.
      expect(r.evidence!.commandExit).toBe(0);
      expect(existsSync(marker)).toBe(false);
    }
    // A whole command line as the campaign's command is not a declared name: nothing runs.
    const joined = await serviceRecoveryDrill({
      name: 'api',
      command: `/bin/echo x; touch ${marker}`,
      healthUrl: `${health.url}/health`,
      maxRecoveryMs: 1_000,
      commands: { echo: ['/bin/echo', 'x'] },
      egress: loopbackOnly,
    });
    expect(joined.status).toBe('error');
    expect(joined.findings[0]!.message).toMatch(
      /is not a recovery command declared on this worker in READINESS_RECOVERY_COMMANDS/,
    );
    expect(existsSync(marker)).toBe(false);
    recordFigures('hostile-shell-metacharacters', {
      scenario: 'Shell metacharacters in a recovery command (argv only)',
      test: 'test/integration/hostile.test.ts',
      figures: { argumentsTried: 5, wholeCommandLineTried: 1, shellCommandsRun: 0 },
    });
  } finally {
    await health.close();
  }
});
