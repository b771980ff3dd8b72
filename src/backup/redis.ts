/**
 * The Redis persistence drill: what persistence is configured (CONFIG GET save / appendonly / appendfsync,
 * INFO persistence), then a real BGSAVE, waiting for LASTSAVE to move and the save to report ok.
 */
import Redis from 'ioredis';
import { statusFromFindings, type DrillResult, type Finding } from '../core/backup';

export interface RedisDrillOptions {
  url: string;
  role: 'cache' | 'store';
  timeoutMs: number;
}

function info(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\r\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );
}

export async function redisDrill(o: RedisDrillOptions): Promise<DrillResult> {
  const findings: Finding[] = [];
  const result: DrillResult = {
    id: 'redis',
    title: 'Redis persistence drill',
    status: 'pass',
    timings: {},
    findings,
    evidence: {},
  };
  const redis = new Redis(o.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let config: Record<string, string>;
    try {
      const pairs = [
        ...((await redis.config('GET', 'save')) as string[]),
        ...((await redis.config('GET', 'appendonly')) as string[]),
        ...((await redis.config('GET', 'appendfsync')) as string[]),
      ];
      config = Object.fromEntries(
        pairs.reduce<Array<[string, string]>>((acc, v, i) => (i % 2 ? acc : [...acc, [v, pairs[i + 1]!]]), []),
      );
    } catch (err) {
      // Managed Redis often disables CONFIG: what persistence does is then not ours to see.
      return {
        ...result,
        status: 'not_evaluable',
        findings: [
          {
            severity: 'P2',
            message: `CONFIG is not available (${(err as Error).message}): persistence settings cannot be read`,
          },
        ],
      };
    }
    const before = info(await redis.info('persistence'));
    const rdb = (config.save ?? '').trim() !== '';
    const aof = config.appendonly === 'yes';
    result.evidence = {
      save: config.save,
      appendonly: config.appendonly,
      appendfsync: config.appendfsync,
      aofEnabled: before.aof_enabled,
      role: o.role,
    };
    if (!rdb && !aof)
      findings.push({
        severity: o.role === 'store' ? 'P1' : 'P2',
        message: 'persistence is off (no RDB snapshots, no AOF): a restart loses every key',
      });
    else if (!aof)
      findings.push({
        severity: 'P2',
        message: `RDB snapshots only (save "${config.save}"), AOF off: a crash loses the writes since the last snapshot${o.role === 'cache' ? ' (acceptable for a cache)' : ''}`,
      });
    else if (config.appendfsync === 'no')
      findings.push({ severity: 'P3', message: 'AOF with appendfsync no: the OS decides when writes reach disk' });

    // A real snapshot: BGSAVE, then LASTSAVE must move and the save must report ok.
    const lastBefore = await redis.lastsave();
    // LASTSAVE has one-second resolution: start in a later second than the last save, or a fast save is invisible.
    const redisNow = Number((await redis.time())[0]);
    if (redisNow <= lastBefore) await new Promise((r) => setTimeout(r, 1_050 - (Date.now() % 1000)));
    const started = Date.now();
    try {
      await redis.bgsave();
    } catch (err) {
      if (!/in progress/i.test((err as Error).message)) throw err;
    }
    const deadline = started + o.timeoutMs;
    let done = false;
    while (Date.now() < deadline) {
      const now = info(await redis.info('persistence'));
      if ((await redis.lastsave()) !== lastBefore && now.rdb_bgsave_in_progress === '0') {
        done = true;
        result.timings!.bgsaveS = Math.round((Date.now() - started) / 10) / 100;
        result.evidence.lastBgsaveStatus = now.rdb_last_bgsave_status;
        if (now.rdb_last_bgsave_status !== 'ok')
          findings.push({ severity: 'P1', message: `BGSAVE finished with status ${now.rdb_last_bgsave_status}` });
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!done) findings.push({ severity: 'P1', message: `BGSAVE did not complete within ${o.timeoutMs / 1000} s` });
    result.status = statusFromFindings(findings);
    return result;
  } catch (err) {
    return {
      ...result,
      status: 'error',
      findings: [...findings, { severity: 'P1', message: `Redis unreachable or failing: ${(err as Error).message}` }],
    };
  } finally {
    redis.disconnect();
  }
}
