import { ApplicationFailure } from '@temporalio/common';
import type { HeaderValue } from '../../config/schema';
import { registerSecretValue } from '../../infra/logger';

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
    out[name.toLowerCase()] = envValue(value.fromEnv, `${field}.${name}`, env);
  }
  return out;
}

/** A value from the worker's environment by name; unset is a non-retryable ConfigError naming the field. */
export function envValue(name: string, field: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = env[name];
  if (v === undefined || v === '') throw ApplicationFailure.nonRetryable(`${field}: environment variable ${name} is not set on the worker`, 'ConfigError');
  registerSecretValue(v);
  return v;
}
