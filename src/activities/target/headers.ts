import { ApplicationFailure } from '@temporalio/common';
import type { HeaderValue } from '../../config/schema';

/**
 * Resolves configured headers on the worker: literals as given, `{ fromEnv }` from the worker's
 * environment. Values resolved here never travel back into workflow history.
 */
export function resolveHeaders(headers: Record<string, HeaderValue> | undefined, field: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value === 'string') {
      out[name.toLowerCase()] = value;
      continue;
    }
    const resolved = env[value.fromEnv];
    if (resolved === undefined) {
      throw ApplicationFailure.nonRetryable(`${field}.${name}: environment variable ${value.fromEnv} is not set on the worker`, 'ConfigError');
    }
    out[name.toLowerCase()] = resolved;
  }
  return out;
}
