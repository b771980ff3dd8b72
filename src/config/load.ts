import { readFile, stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../core/errors';
import { campaignSchema, crossFieldProblems, type Campaign } from './schema';

/** Largest campaign file accepted; anything bigger is refused before parsing. */
export const MAX_CAMPAIGN_BYTES = 1024 * 1024;

function issuePath(path: readonly PropertyKey[]): string {
  return path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : '(root)';
}

/** Flattens zod issues into `path: message` problems, one per unknown key. */
export function zodProblems(error: z.ZodError): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: issuePath([...issue.path, key]), message: 'unknown field' });
    } else if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors)) {
      problems.push({ path: issuePath(issue.path), message: issue.message === 'Invalid input' ? 'value does not match any allowed form' : issue.message });
    } else {
      problems.push({ path: issuePath(issue.path), message: issue.message });
    }
  }
  return problems;
}

/** Validates an already-parsed object; returns the campaign or every problem found. */
export function validateCampaign(raw: unknown): { ok: true; campaign: Campaign } | { ok: false; problems: ConfigProblem[] } {
  const result = campaignSchema.safeParse(raw);
  const problems = [...(result.success ? [] : zodProblems(result.error)), ...crossFieldProblems(raw)];
  return result.success && !problems.length ? { ok: true, campaign: result.data } : { ok: false, problems };
}

/** Parses YAML text into a validated campaign; throws ConfigError listing every problem. */
export function parseCampaignYaml(text: string, file?: string): Campaign {
  if (Buffer.byteLength(text) > MAX_CAMPAIGN_BYTES) {
    throw new ConfigError([{ path: '(file)', message: `file is larger than ${MAX_CAMPAIGN_BYTES} bytes` }], file);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    throw new ConfigError(doc.errors.map((e) => ({
      path: e.linePos ? `line ${e.linePos[0].line}:${e.linePos[0].col}` : '(yaml)',
      message: e.message.split('\n')[0],
    })), file);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    throw new ConfigError([{ path: '(yaml)', message: (err as Error).message }], file);
  }
  const result = validateCampaign(raw);
  if (!result.ok) throw new ConfigError(result.problems, file);
  return result.campaign;
}

/** Reads and validates a campaign file; throws ConfigError listing every problem. */
export async function loadCampaignFile(file: string): Promise<Campaign> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    throw new ConfigError([{ path: '(file)', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }], file);
  }
  if (size > MAX_CAMPAIGN_BYTES) {
    throw new ConfigError([{ path: '(file)', message: `file is larger than ${MAX_CAMPAIGN_BYTES} bytes` }], file);
  }
  return parseCampaignYaml(await readFile(file, 'utf8'), file);
}
