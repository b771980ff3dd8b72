/**
 * Namespace retention: how long Temporal keeps a closed campaign's history (the Web UI shows nothing older; the
 * results in Postgres stay). The dev server's namespaces keep 24 h, so by the next weekly run the previous campaign
 * would be gone: `readiness dev` and `demo` set it (`--retention`, default 30 days), and a worker warns when it is
 * shorter than the longest interval of the schedules it serves.
 */
import type { Client, Connection } from '@temporalio/client';
import { formatDurationMs } from '../core/duration';

/** The retention `dev` and `demo` set unless told otherwise. */
export const DEFAULT_RETENTION_MS = 30 * 86_400_000;
/** The shortest retention the Temporal server accepts. */
export const MIN_RETENTION_MS = 86_400_000;

/** A namespace's retention in ms (undefined when the server does not say). */
export async function namespaceRetentionMs(connection: Connection, namespace: string): Promise<number | undefined> {
  const d = await connection.workflowService.describeNamespace({ namespace });
  const ttl = d.config?.workflowExecutionRetentionTtl;
  if (!ttl) return undefined;
  return Number(ttl.seconds ?? 0) * 1000 + Math.round((ttl.nanos ?? 0) / 1e6);
}

/** Sets a namespace's retention (whole seconds); does nothing when it already is that. */
export async function setNamespaceRetention(
  connection: Connection,
  namespace: string,
  retentionMs: number,
): Promise<boolean> {
  if ((await namespaceRetentionMs(connection, namespace)) === retentionMs) return false;
  await connection.workflowService.updateNamespace({
    namespace,
    // protobufjs encodes a plain number for an int64 field; its typings only name Long.
    config: { workflowExecutionRetentionTtl: { seconds: Math.round(retentionMs / 1000) as never } },
  });
  return true;
}

/** One schedule's interval, judged from its next action times (the longest gap between two of them). */
export interface ScheduleInterval {
  scheduleId: string;
  intervalMs: number;
}

/**
 * The schedules that start campaigns on `taskQueue`, each with its interval (the longest gap between its next
 * action times; a schedule with fewer than two planned runs is left out).
 */
export async function scheduleIntervals(client: Client, taskQueue: string): Promise<ScheduleInterval[]> {
  const out: ScheduleInterval[] = [];
  for await (const s of client.schedule.list()) {
    const d = await client.schedule.getHandle(s.scheduleId).describe();
    if (d.action.type !== 'startWorkflow' || d.action.taskQueue !== taskQueue) continue;
    const times = d.info.nextActionTimes.map((t) => t.getTime()).sort((a, b) => a - b);
    let intervalMs = 0;
    for (let i = 1; i < times.length; i++) intervalMs = Math.max(intervalMs, times[i]! - times[i - 1]!);
    if (intervalMs > 0) out.push({ scheduleId: s.scheduleId, intervalMs });
  }
  return out;
}

/**
 * The warning a worker logs when its namespace forgets a campaign before the next scheduled run replaces it, or
 * undefined when the retention covers every schedule it serves.
 */
export function retentionWarning(
  retentionMs: number | undefined,
  schedules: ScheduleInterval[],
  namespace: string,
): string | undefined {
  if (retentionMs === undefined || !schedules.length) return undefined;
  const longest = schedules.reduce((a, b) => (b.intervalMs > a.intervalMs ? b : a));
  if (retentionMs >= longest.intervalMs) return undefined;
  return (
    `namespace ${namespace} keeps closed workflows for ${formatDurationMs(retentionMs)}, less than schedule ${longest.scheduleId}'s ` +
    `interval (${formatDurationMs(longest.intervalMs)}): the previous campaign's history will be gone from the Web UI before the next run ` +
    `(its results stay in Postgres). Raise it: temporal operator namespace update --namespace ${namespace} --retention ${formatDurationMs(Math.max(longest.intervalMs * 2, DEFAULT_RETENTION_MS))}`
  );
}
