/**
 * The checklist commands: `attest` and `waive` (workflow updates on a running campaign, validated by
 * the workflow), `rescore` (recompute the verdict from the stored evidence and check it matches) and
 * `history` (past campaigns of a target).
 */
import type { UpdateDefinition } from '@temporalio/common';
import { scoreFromStore } from '../../report/score';
import type { ChecklistEvaluation } from '../../core/checklist-types';
import { UnknownCampaignError } from '../../core/errors';
import { EXIT } from '../../core/exit-codes';
import { createPool } from '../../infra/db';
import { resolveEndpoints } from '../../infra/dev-state';
import { ResultsStore } from '../../infra/results-store';
import { attestUpdate, waiveUpdate, type ChecklistUpdateResult } from '../../workflows/messages';
import type { ConnectionFlags } from '../connect';
import { updateRunningCampaign } from '../update';
import { CliExit } from '../errors';

function update<A>(
  flags: ConnectionFlags,
  campaignId: string,
  def: UpdateDefinition<ChecklistUpdateResult, [A]>,
  req: A,
): Promise<ChecklistUpdateResult> {
  // The workflow's validator says why it refuses one (unknown item, closed, expired waiver...).
  return updateRunningCampaign(
    flags,
    campaignId,
    def,
    req,
    (status) =>
      `campaign "${campaignId}" is closed (${status}): attestations and waivers are taken only while it runs, until its checklist is scored`,
  );
}

const printMissing = (r: ChecklistUpdateResult) =>
  process.stdout.write(
    r.missing.length
      ? `${r.missing.length} manual item(s) still missing: ${r.missing.join(', ')}\n`
      : 'every manual item is attested or waived\n',
  );

/** `readiness attest <campaignId> <itemId> --by NAME [--evidence URL] [--note TEXT]`. */
export async function attestCommand(
  campaignId: string,
  itemId: string,
  flags: ConnectionFlags & { by: string; evidence?: string; note?: string },
): Promise<void> {
  const r = await update(flags, campaignId, attestUpdate, {
    itemId,
    by: flags.by,
    ...(flags.evidence ? { evidence: flags.evidence } : {}),
    ...(flags.note ? { note: flags.note } : {}),
  });
  process.stdout.write(`attested ${itemId} on ${campaignId} by ${flags.by}\n`);
  printMissing(r);
}

/** `readiness waive <campaignId> <itemId> --by NAME --reason TEXT --expires DATE`. */
export async function waiveCommand(
  campaignId: string,
  itemId: string,
  flags: ConnectionFlags & { by: string; reason: string; expires: string },
): Promise<void> {
  const expires = parseExpiry(flags.expires);
  if (!expires)
    throw new CliExit(
      EXIT.INVALID_INPUT,
      `error: --expires "${flags.expires}" is not a date (ISO 8601: 2026-12-31 means through that day, UTC; or an instant such as 2026-12-31T18:00:00+01:00)`,
    );
  const r = await update(flags, campaignId, waiveUpdate, { itemId, by: flags.by, reason: flags.reason, expires });
  process.stdout.write(`waived ${itemId} on ${campaignId} by ${flags.by} until ${expires}\n`);
  printMissing(r);
}

/**
 * `--expires`: a date `YYYY-MM-DD` means through the end of that day (UTC); otherwise an ISO 8601 date-time
 * (without a zone it is read in this machine's zone). Returned as an ISO instant; undefined if invalid.
 */
export function parseExpiry(text: string): string | undefined {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  let ms = day
    ? Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]), 23, 59, 59, 999)
    : /^\d{4}-\d{2}-\d{2}T/.test(text)
      ? Date.parse(text)
      : NaN;
  // Date.UTC rolls 2026-13-40 over into 2027: a date must exist as written.
  if (day && new Date(ms).toISOString().slice(0, 10) !== text) ms = NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

async function withStore<T>(dataDir: string | undefined, fn: (store: ResultsStore) => Promise<T>): Promise<T> {
  const { databaseUrl } = resolveEndpoints({ dataDir });
  if (!databaseUrl)
    throw new CliExit(
      EXIT.COULD_NOT_RUN,
      'error: no results database: set DATABASE_URL or run `readiness dev` in this directory',
    );
  const pool = createPool(databaseUrl, 1);
  try {
    return await fn(new ResultsStore(pool));
  } finally {
    await pool.end();
  }
}

/**
 * `readiness rescore <campaignId>`: recomputes the checklist and verdict from the stored evidence,
 * attestations and waivers at the stored scoring instant, prints it and exits with the verdict's code;
 * exit 1 when it differs from the stored verdict (the evidence or the scoring code changed).
 */
export async function rescoreCommand(campaignId: string, flags: { dataDir?: string; json?: boolean }): Promise<void> {
  await withStore(flags.dataDir, async (store) => {
    const source = await store.loadReportSource(campaignId, { timelines: false });
    if (!source) throw new UnknownCampaignError(campaignId);
    const stored = source.checklist;
    if (!stored || !source.verdict)
      throw new CliExit(EXIT.INVALID_INPUT, `error: campaign "${campaignId}" has not been scored yet`);
    const again = (await scoreFromStore(store, {
      campaignId,
      items: stored.definitions,
      phases: source.phases,
      phaseEndedAt: stored.phaseEndedAt,
      attestations: stored.attestations,
      waivers: stored.waivers,
      scoredAt: stored.scoredAt,
      ...(stored.aborted ? { aborted: stored.aborted } : {}),
    }))!;
    const differences = diff(stored, again, source.verdict);
    if (flags.json)
      process.stdout.write(
        `${JSON.stringify({ campaignId, decision: again.decision, scorePct: again.scorePct, matches: !differences.length, differences })}\n`,
      );
    else {
      process.stdout.write(
        `${campaignId}: ${again.decision} (score ${again.scorePct}%), rescored at ${stored.scoredAt}\n`,
      );
      for (const c of again.categories)
        process.stdout.write(
          `  ${c.name.padEnd(16)} ${c.scorePct === null ? 'n/a' : `${c.scorePct}%`} (${c.earned}/${c.max})\n`,
        );
      process.stdout.write(
        differences.length
          ? `differs from the stored verdict:\n${differences.map((d) => `  ${d}`).join('\n')}\n`
          : 'matches the stored verdict\n',
      );
    }
    if (differences.length) throw new CliExit(EXIT.COULD_NOT_RUN, '');
    process.exitCode =
      again.decision === 'GO' ? EXIT.GO : again.decision === 'CONDITIONAL_GO' ? EXIT.CONDITIONAL_GO : EXIT.NO_GO;
  });
}

function diff(
  stored: ChecklistEvaluation,
  again: ChecklistEvaluation,
  verdict: { decision: string; scorePct: number },
): string[] {
  const out: string[] = [];
  if (again.decision !== stored.decision) out.push(`decision: stored ${stored.decision}, recomputed ${again.decision}`);
  if (again.scorePct !== stored.scorePct) out.push(`score: stored ${stored.scorePct}%, recomputed ${again.scorePct}%`);
  if (verdict.decision !== again.decision)
    out.push(`campaign verdict: stored ${verdict.decision}, recomputed ${again.decision}`);
  const before = new Map(stored.items.map((i) => [i.id, i.status]));
  for (const i of again.items)
    if (before.get(i.id) !== i.status)
      out.push(`${i.id}: stored ${before.get(i.id) ?? 'absent'}, recomputed ${i.status}`);
  return out;
}

/** `readiness history <target|name>`: past campaigns with date, decision, score and breaking point. */
export async function historyCommand(
  targetOrName: string,
  flags: { dataDir?: string; json?: boolean; limit?: number },
): Promise<void> {
  await withStore(flags.dataDir, async (store) => {
    const rows = await store.history(targetOrName, flags.limit ?? 50);
    if (flags.json) return void process.stdout.write(`${JSON.stringify(rows)}\n`);
    if (!rows.length)
      throw new CliExit(
        EXIT.INVALID_INPUT,
        `error: no campaign of target or name "${targetOrName}" in the results store`,
      );
    process.stdout.write('| Started | Campaign | Decision | Score | Breaking point |\n|---|---|---|---|---|\n');
    for (const r of rows) {
      const bp = r.breakingPoint
        ? `${r.breakingPoint.level} ${r.breakingPoint.unit}`
        : r.stress === 'no_breaking_point'
          ? 'none found'
          : 'stress not run';
      // No verdict: still running, or it ended without one (terminated, failed): `status` tells which.
      process.stdout.write(
        `| ${r.startedAt} | ${r.id} | ${r.decision ?? 'unfinished'} | ${r.scorePct === null ? '' : `${r.scorePct}%`} | ${bp} |\n`,
      );
    }
  });
}
