import { readFile, stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ConfigError } from '../core/errors';
import type { Campaign } from './schema';
import { validateCampaign } from './validate';

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
