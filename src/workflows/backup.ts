/**
 * The backup phase: the Postgres drill (long, heartbeating), the Redis persistence drill, then each
 * service's kill-and-recover drill, one after another (a kill never overlaps a restore).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Campaign } from '../config/schema';
import { backupOutcome, type BackupResult, type DrillResult } from '../core/backup';
import { parseDurationMs } from '../core/duration';
import type { PhaseOutcome } from '../core/types';
import { failureAsResult, store, type Activities } from './proxies';

/** A drill whose activity failed for good (e.g. a connection variable not set on the worker) is an error, never a pass. */
const attempt = (id: string, title: string, run: () => Promise<DrillResult>): Promise<DrillResult> =>
  failureAsResult(run, (reason) => ({ id, title, status: 'error', findings: [{ severity: 'P1', message: `could not run: ${reason}` }] }));

export async function runBackup(campaignId: string, campaign: Campaign): Promise<PhaseOutcome> {
  const b = campaign.backup;
  if (!b) return { status: 'not_run', reason: 'no backup section in the campaign file (counts against readiness)' };
  const drills: DrillResult[] = [];
  if (b.postgres) {
    const pg = proxyActivities<Activities>({
      startToCloseTimeout: (parseDurationMs(b.postgres.maxRestoreTime) ?? 1_800_000) * 4 + 600_000,
      heartbeatTimeout: '30 seconds',
      retry: { initialInterval: '5s', maximumAttempts: 3, nonRetryableErrorTypes: ['ConfigError'] },
    });
    drills.push(await attempt('postgres', 'PostgreSQL backup and restore drill', () => pg.postgresBackupDrill({ campaignId, backup: b })));
  }
  const quick = proxyActivities<Activities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2s', maximumAttempts: 2, nonRetryableErrorTypes: ['ConfigError'] },
  });
  if (b.redis) drills.push(await attempt('redis', 'Redis persistence drill', () => quick.redisBackupDrill({ backup: b })));
  for (let index = 0; index < b.serviceRecovery.length; index++) {
    // A kill is not idempotent: never retried automatically.
    const once = proxyActivities<Activities>({ startToCloseTimeout: '15 minutes', heartbeatTimeout: '30 seconds', retry: { maximumAttempts: 1 } });
    const svc = b.serviceRecovery[index]!;
    drills.push(await attempt(`service.${svc.name}`, `${svc.name}: recovery after a kill`, () => once.serviceRecoveryDrill({ backup: b, index })));
  }
  const judged = backupOutcome(drills);
  const result: BackupResult = { drills, blockers: judged.blockers };
  await store.recordPhaseResult({ campaignId, phase: 'backup', result });
  return { status: judged.status, reason: judged.reason };
}
