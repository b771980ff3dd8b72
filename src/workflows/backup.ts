/**
 * The backup phase: the Postgres drill (long, heartbeating), the Redis persistence drill, then each
 * service's kill-and-recover drill, one after another (a kill never overlaps a restore). An abort cancels the
 * running drill and waits for its cleanup (the scratch database dropped, pg_restore stopped); the drills
 * not yet started are skipped, and what ran is stored.
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { BackupConfig, Campaign } from '../config/schema';
import { backupOutcome, type BackupResult, type DrillResult } from '../core/backup';
import { parseDurationMs } from '../core/duration';
import type { PhaseOutcome } from '../core/types';
import { abortedOutcome } from '../core/outcomes';
import type { AbortControl } from './messages';
import { failureAsResult, store, type Activities } from './proxies';
import { PERMANENT } from '../core/errors';

/** Runs the backup phase of a campaign whose file has a backup section; stores its result. */
export async function runBackup(
  campaignId: string,
  b: BackupConfig,
  settings: Campaign['settings'],
  control?: AbortControl,
): Promise<PhaseOutcome> {
  const drills: DrillResult[] = [];
  const planned = (b.postgres ? 1 : 0) + (b.redis ? 1 : 0) + b.serviceRecovery.length;
  // Heartbeats come every second; a crashed worker's drill is retried once this much passes without one.
  const heartbeatTimeout = parseDurationMs(settings.heartbeatTimeout) ?? 20_000;
  // On an abort, wait for the drill to clean up before the campaign moves on.
  const cancellationType = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;

  /** A drill whose activity failed for good (e.g. a connection variable not set on the worker) is an error, never a pass. */
  const attempt = async (id: string, title: string, call: () => Promise<DrillResult>): Promise<void> => {
    if (control?.aborted()) return;
    const r = await failureAsResult(
      () => (control ? control.run(call) : call()),
      (reason): DrillResult => ({
        id,
        title,
        status: 'error',
        findings: [{ severity: 'P1', message: `could not run: ${reason}` }],
      }),
    );
    const a = control?.aborted();
    drills.push(
      a && r.status === 'error'
        ? { ...r, findings: [{ severity: 'P1', message: `aborted by ${a.by} during this drill` }, ...r.findings] }
        : r,
    );
  };

  if (b.postgres) {
    const pg = proxyActivities<Activities>({
      startToCloseTimeout: (parseDurationMs(b.postgres.maxRestoreTime) ?? 1_800_000) * 4 + 600_000,
      heartbeatTimeout,
      cancellationType,
      retry: { initialInterval: '5s', maximumAttempts: 3, nonRetryableErrorTypes: [...PERMANENT] },
    });
    await attempt('postgres', 'PostgreSQL backup and restore drill', () =>
      pg.postgresBackupDrill({ campaignId, backup: b }),
    );
  }
  const quick = proxyActivities<Activities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout,
    cancellationType,
    retry: { initialInterval: '2s', maximumAttempts: 2, nonRetryableErrorTypes: [...PERMANENT] },
  });
  if (b.redis) await attempt('redis', 'Redis persistence drill', () => quick.redisBackupDrill({ backup: b }));
  for (let index = 0; index < b.serviceRecovery.length; index++) {
    // A kill is not idempotent: never retried automatically.
    const once = proxyActivities<Activities>({
      startToCloseTimeout: '15 minutes',
      heartbeatTimeout,
      cancellationType,
      retry: { maximumAttempts: 1 },
    });
    const svc = b.serviceRecovery[index]!;
    await attempt(`service.${svc.name}`, `${svc.name}: recovery after a kill`, () =>
      once.serviceRecoveryDrill({ backup: b, index }),
    );
  }
  const judged = backupOutcome(drills);
  const result: BackupResult = { drills, blockers: judged.blockers };
  await store.recordPhaseResult({ campaignId, phase: 'backup', result });
  const a = control?.aborted();
  if (a)
    return abortedOutcome(
      a,
      `${drills.filter((d) => !d.findings.some((f) => f.message.startsWith('aborted by'))).length} of ${planned} drills completed`,
    );
  return { status: judged.status, reason: judged.reason };
}
