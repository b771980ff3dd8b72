/**
 * Where a campaign leaves text behind (its workflow histories, child workflows included, the worker's logs, its
 * report files, its rows in the results database), and a scan of those places for secret values.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';

/** Every string and byte array in a value, as text (payload bytes decoded as UTF-8). */
export function textOf(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
  else if (Array.isArray(v)) v.forEach((x) => textOf(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => textOf(x, out));
  return out;
}

/** The text a campaign left, place by place: `[where, text]`. */
export async function campaignPlaces(o: {
  client: Client;
  workflowId: string;
  logs: string;
  reportDir?: string;
  pool: Pool;
}): Promise<Array<[string, string]>> {
  const places: Array<[string, string]> = [];
  const ids = [o.workflowId];
  const main = await o.client.workflow.getHandle(o.workflowId).fetchHistory();
  for (const e of main.events ?? []) {
    const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
    if (child) ids.push(child);
  }
  for (const id of ids)
    places.push([
      `history ${id}`,
      textOf(id === o.workflowId ? main : await o.client.workflow.getHandle(id).fetchHistory()).join('\n'),
    ]);
  places.push(['worker logs', o.logs]);
  if (o.reportDir && existsSync(o.reportDir))
    for (const f of readdirSync(o.reportDir))
      places.push([`report ${f}`, readFileSync(path.join(o.reportDir, f), 'utf8')]);
  for (const table of ['campaigns', 'baseline_results', 'phase_results', 'load_slices']) {
    const col = table === 'campaigns' ? 'id' : 'campaign_id';
    const rows = await o.pool.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t WHERE ${col} = $1`, [
      o.workflowId,
    ]);
    places.push([`results ${table}`, rows.rows.map((x) => x.row).join('\n')]);
  }
  return places;
}

/** `name in where` for each secret found in a place, as is or base64-encoded. */
export function secretsFound(places: Array<[string, string]>, secrets: Record<string, string>): string[] {
  return places.flatMap(([where, text]) =>
    Object.entries(secrets).flatMap(([name, value]) =>
      [value, Buffer.from(value).toString('base64')].some((v) => text.includes(v)) ? [`${name} in ${where}`] : [],
    ),
  );
}
