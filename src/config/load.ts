import { readFile, stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem } from '../core/errors';
import { fromEnvReferences, parseSecretEnv, secretEnvRefusal } from '../core/secrets';
import type { Campaign } from './schema';
import { validateCampaign } from './validate';
import { readCampaignData } from './data-file';
import type { DataTable } from '../engine/data-feed';

export { validateCampaign, zodProblems } from './validate';

/** Largest campaign file accepted; anything bigger is refused before parsing. */
export const MAX_CAMPAIGN_BYTES = 1024 * 1024;

/** Parses YAML text into a validated campaign; throws ConfigError listing every problem. */
export function parseCampaignYaml(text: string, file?: string): Campaign {
  if (Buffer.byteLength(text) > MAX_CAMPAIGN_BYTES) {
    throw new ConfigError([{ path: '(file)', message: `file is larger than ${MAX_CAMPAIGN_BYTES} bytes` }], file);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}:${e.linePos[0].col}` : '(yaml)',
        message: e.message.split('\n')[0],
      })),
      file,
    );
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

/**
 * Problems of `{ fromEnv }` references a worker would refuse, when this process knows the worker's declared list:
 * READINESS_SECRET_ENV set here (run `validate` / `start` with the worker's value to find them before starting).
 * Unset, nothing is checked here; the worker always checks.
 */
export function undeclaredSecretProblems(campaign: Campaign, env: NodeJS.ProcessEnv = process.env): ConfigProblem[] {
  if (env.READINESS_SECRET_ENV === undefined) return [];
  const declared = parseSecretEnv(env.READINESS_SECRET_ENV);
  return fromEnvReferences(campaign).flatMap(({ path, name }) => {
    const refusal = secretEnvRefusal(name, declared);
    return refusal ? [{ path, message: refusal }] : [];
  });
}

/**
 * Reads and validates a campaign file, and its `{ fromEnv }` names against READINESS_SECRET_ENV when that is set
 * here ({@link undeclaredSecretProblems}), and reads its data files (scenario.data: each source's `ref`, rows and
 * columns set); throws ConfigError listing every problem.
 */
export async function loadCampaignFile(file: string): Promise<Campaign> {
  return (await loadCampaign(file)).campaign;
}

/** {@link loadCampaignFile}, with the data files' tables keyed by their ref (for the results store). */
export async function loadCampaign(file: string): Promise<{ campaign: Campaign; tables: Map<string, DataTable> }> {
  const campaign = await loadCampaignOnly(file);
  const data = await readCampaignData(campaign, file);
  if (data.problems.length) throw new ConfigError(data.problems, file);
  return { campaign: data.campaign, tables: data.tables };
}

async function loadCampaignOnly(file: string): Promise<Campaign> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    throw new ConfigError(
      [{ path: '(file)', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }],
      file,
    );
  }
  if (size > MAX_CAMPAIGN_BYTES) {
    throw new ConfigError([{ path: '(file)', message: `file is larger than ${MAX_CAMPAIGN_BYTES} bytes` }], file);
  }
  const campaign = parseCampaignYaml(await readFile(file, 'utf8'), file);
  const undeclared = undeclaredSecretProblems(campaign);
  if (undeclared.length) throw new ConfigError(undeclared, file);
  return campaign;
}
