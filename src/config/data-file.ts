/**
 * Data files of a scenario (scenario.data): read by the CLI, checked against the columns the campaign uses, and
 * identified by the SHA-256 of their parsed rows, under which the results store keeps them. The rows never travel in
 * a workflow's input or history: only `ref`, the row count and the columns do.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { ConfigProblem } from '../core/errors';
import { placeholders } from '../core/template';
import type { DataTable } from '../engine/data-feed';
import type { Campaign } from './schema';
import { scenarioRequests } from './scenario';

/** Largest data file read (bytes), most rows and columns: a data file is test accounts, not a database dump. */
export const DATA_LIMITS = {
  bytes: 20 * 1024 * 1024,
  rows: 1_000_000,
  columns: 100,
  /** Rows x columns: each load thread holds a copy of the table. */
  cells: 2_000_000,
  cellBytes: 4096,
} as const;

const COLUMN_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A parsed data file, or the problems that make it unusable (each naming the line and the column). */
export function parseDataText(text: string, format: 'csv' | 'jsonl'): DataTable | { problems: string[] } {
  const problems: string[] = [];
  let columns: string[] = [];
  let rows: string[][] = [];
  if (format === 'csv') {
    let records: string[][];
    try {
      records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
    } catch (err) {
      return { problems: [`not a valid CSV: ${(err as Error).message}`] };
    }
    if (!records.length) return { problems: ['the file is empty: a CSV needs a header row and at least one row'] };
    columns = records[0]!.map((c) => c.trim());
    rows = records.slice(1);
  } else {
    const lines = text.split(/\r?\n/);
    const seen = new Set<string>();
    const objects: Array<Record<string, unknown>> = [];
    for (let i = 0; i < lines.length && problems.length < 10; i++) {
      const line = lines[i]!.trim();
      if (!line) continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        problems.push(`line ${i + 1}: not JSON`);
        continue;
      }
      if (!v || typeof v !== 'object' || Array.isArray(v)) {
        problems.push(`line ${i + 1}: a JSON-lines row is an object of column: value`);
        continue;
      }
      for (const [k, x] of Object.entries(v)) {
        if (x !== null && typeof x === 'object')
          problems.push(`line ${i + 1}: column "${k}" is not a string or a number`);
        if (!seen.has(k)) {
          seen.add(k);
          columns.push(k);
        }
      }
      objects.push(v as Record<string, unknown>);
    }
    rows = objects.map((o) => columns.map((c) => (o[c] === undefined || o[c] === null ? '' : String(o[c]))));
  }
  for (const c of columns)
    if (!COLUMN_RE.test(c))
      problems.push(`column "${c}": a column name is letters, digits and _ (used as {{source.${c}}})`);
  if (new Set(columns).size !== columns.length) problems.push('two columns have the same name');
  if (columns.length > DATA_LIMITS.columns) problems.push(`${columns.length} columns, at most ${DATA_LIMITS.columns}`);
  if (!rows.length) problems.push('no rows: the file has a header but no data');
  if (rows.length > DATA_LIMITS.rows) problems.push(`${rows.length} rows, at most ${DATA_LIMITS.rows}`);
  else if (rows.length * columns.length > DATA_LIMITS.cells)
    problems.push(
      `${rows.length} rows x ${columns.length} columns = ${rows.length * columns.length} values, at most ${DATA_LIMITS.cells}`,
    );
  for (let i = 0; i < rows.length && problems.length < 10; i++)
    for (let j = 0; j < rows[i]!.length; j++)
      if (Buffer.byteLength(rows[i]![j]!) > DATA_LIMITS.cellBytes)
        problems.push(`row ${i + 1}, column "${columns[j]}": longer than ${DATA_LIMITS.cellBytes} bytes`);
      else if (rows[i]![j]!.includes('\u0000'))
        problems.push(`row ${i + 1}, column "${columns[j]}": holds a NUL character, which no request can carry`);
  return problems.length ? { problems } : { columns, rows };
}

/** The SHA-256 under which a table is stored: of its columns and rows, so the same data is stored once. */
export function dataRef(table: DataTable): string {
  return createHash('sha256')
    .update(JSON.stringify([table.columns, table.rows]))
    .digest('hex');
}

/** Columns of each data source the scenario uses (`{{source.column}}`), with where they are used. */
function usedColumns(campaign: Campaign): Map<string, Array<{ column: string; at: string; inHeader: boolean }>> {
  const data = campaign.scenario.data ?? {};
  const out = new Map<string, Array<{ column: string; at: string; inHeader: boolean }>>();
  const walk = (v: unknown, at: string, inHeader: boolean): void => {
    if (typeof v === 'string') {
      for (const p of placeholders(v)) {
        const dot = p.indexOf('.');
        const source = p.slice(0, dot);
        if (dot > 0 && source in data) {
          const list = out.get(source) ?? [];
          list.push({ column: p.slice(dot + 1), at, inHeader });
          out.set(source, list);
        }
      }
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, at, inHeader));
    else if (v && typeof v === 'object') Object.values(v).forEach((x) => walk(x, at, inHeader));
  };
  for (const r of scenarioRequests(campaign.scenario)) {
    walk(r.path, `request ${r.name}: path`, false);
    walk(r.json, `request ${r.name}: json`, false);
    for (const [k, h] of Object.entries(r.headers ?? {})) walk(h, `request ${r.name}: headers.${k}`, true);
  }
  return out;
}

/** Whether a value holds a control character (CR, LF, NUL...; tab is allowed) that a header value must never carry. */
const hasControl = (v: string) => {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
};

/** Problems of a table against what the campaign uses of it: unknown columns, header values with control characters. */
export function dataUseProblems(campaign: Campaign, source: string, table: DataTable): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const uses = usedColumns(campaign).get(source) ?? [];
  for (const u of uses) {
    const j = table.columns.indexOf(u.column);
    if (j === -1) {
      problems.push({
        path: `scenario.data.${source}`,
        message: `${u.at} uses {{${source}.${u.column}}}, but the file has no column "${u.column}" (columns: ${table.columns.join(', ')})`,
      });
      continue;
    }
    if (u.inHeader) {
      const bad = table.rows.findIndex((r) => hasControl(r[j] ?? ''));
      if (bad !== -1)
        problems.push({
          path: `scenario.data.${source}`,
          message: `row ${bad + 1}, column "${u.column}" has a control character (line break?) and is used in a header (${u.at})`,
        });
    }
  }
  return problems;
}

/** A campaign's data files read and checked: the campaign with each source's `ref`, rows and columns set, and the tables. */
export interface LoadedData {
  campaign: Campaign;
  tables: Map<string, DataTable>;
  problems: ConfigProblem[];
}

/**
 * Reads every data file of a campaign (paths relative to the campaign file's directory), checks it, and returns the
 * campaign with `ref`, `rows` and `columns` set on each source. Problems are returned, not thrown, each naming the
 * source; the tables are keyed by their ref.
 */
export async function readCampaignData(campaign: Campaign, campaignFile: string): Promise<LoadedData> {
  const data = campaign.scenario.data;
  const tables = new Map<string, DataTable>();
  if (!data || !Object.keys(data).length) return { campaign, tables, problems: [] };
  const problems: ConfigProblem[] = [];
  const resolved: NonNullable<Campaign['scenario']['data']> = {};
  for (const [name, source] of Object.entries(data)) {
    const at = `scenario.data.${name}.file`;
    const file = path.resolve(path.dirname(campaignFile), source.file);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (err) {
      problems.push({
        path: at,
        message: `cannot read ${source.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      });
      continue;
    }
    if (size > DATA_LIMITS.bytes) {
      problems.push({ path: at, message: `${source.file} is ${size} bytes, at most ${DATA_LIMITS.bytes}` });
      continue;
    }
    const format = /\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : /\.csv$/i.test(file) ? 'csv' : undefined;
    if (!format) {
      problems.push({
        path: at,
        message: `${source.file}: a data file is .csv (with a header row) or .jsonl (JSON lines)`,
      });
      continue;
    }
    const parsed = parseDataText(await readFile(file, 'utf8'), format);
    if ('problems' in parsed) {
      problems.push(...parsed.problems.map((m) => ({ path: at, message: `${source.file}: ${m}` })));
      continue;
    }
    const use = dataUseProblems(campaign, name, parsed);
    if (use.length) {
      problems.push(...use);
      continue;
    }
    const ref = dataRef(parsed);
    tables.set(ref, parsed);
    resolved[name] = { ...source, ref, rows: parsed.rows.length, columns: parsed.columns };
  }
  return { campaign: { ...campaign, scenario: { ...campaign.scenario, data: resolved } }, tables, problems };
}
