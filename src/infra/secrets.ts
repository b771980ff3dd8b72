/**
 * The worker's secrets: `{ fromEnv: NAME }` references resolved from its environment, only for names the
 * operator declared (READINESS_SECRET_ENV) and never for the worker's own configuration; and the registry of
 * every value resolved in this process, which log lines and everything an activity returns are scrubbed of.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../core/errors';
import { parseSecretEnv, scrubText, scrubValue, secretEnvRefusal, secretForms } from '../core/secrets';

/** Every form of every secret value resolved in this process (see {@link secretForms}). */
const forms: string[] = [];
const registered = new Set<string>();

/**
 * Registers a secret value: from now on it is scrubbed from every log line of every logger and from every
 * activity's result and error in this process. Values under 4 characters are not scrubbed.
 */
export function registerSecretValue(value: string): void {
  if (value.length < 4 || registered.has(value)) return;
  registered.add(value);
  for (const f of secretForms(value)) if (!forms.includes(f)) forms.push(f);
  // Longest first, so a form that contains another is replaced whole.
  forms.sort((a, b) => b.length - a.length);
}

/** `text` without any registered secret. */
export function scrubSecrets(text: string): string {
  return forms.length ? scrubText(text, forms) : text;
}

/** Plain data without any registered secret in any string (the same object when there was none). */
export function scrubSecretsDeep<T>(value: T): T {
  return scrubValue(value, forms);
}

/**
 * An error without any registered secret in its message, stack, details or causes: the same error when there was
 * none, else an ApplicationFailure of the same type and retryability (a plain Error becomes one of type `Error`)
 * whose causes are scrubbed the same way (the SDK sends the whole cause chain, stacks included, to the server).
 */
export function scrubError(err: unknown): unknown {
  if (!(err instanceof Error) || !forms.length || !carriesSecret(err, 0)) return err;
  const cause = err.cause instanceof Error ? (scrubError(err.cause) as Error) : undefined;
  const message = scrubSecrets(err.message);
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message,
      type: err.type ?? undefined,
      nonRetryable: err.nonRetryable ?? undefined,
      details: scrubSecretsDeep(err.details) as unknown[] | undefined,
      cause,
    });
  }
  return ApplicationFailure.create({ message, type: err.name || 'Error', cause });
}

/** Whether a registered secret appears anywhere in an error or its causes (at most 8 deep). */
function carriesSecret(err: Error, depth: number): boolean {
  if (depth > 8) return false;
  const changed = (text: string | undefined) => text !== undefined && scrubSecrets(text) !== text;
  return (
    changed(err.message) ||
    changed(err.stack) ||
    (err instanceof ApplicationFailure && scrubSecretsDeep(err.details) !== err.details) ||
    (err.cause instanceof Error && carriesSecret(err.cause, depth + 1))
  );
}

/** Resolves `{ fromEnv }` references for campaigns: declared names only, values registered for scrubbing. */
export class SecretResolver {
  /**
   * @param declared the names campaigns may read (READINESS_SECRET_ENV); reserved names are refused even when
   *   listed (see isReservedEnvName).
   */
  constructor(
    readonly declared: readonly string[],
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** From the worker's environment: READINESS_SECRET_ENV, plus `extra` names (the demo's own database). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, extra: string[] = []): SecretResolver {
    return new SecretResolver([...parseSecretEnv(env.READINESS_SECRET_ENV), ...extra], env);
  }

  /**
   * The value of `name` for `field` (a campaign path, for the message). Refused (non-retryable ConfigError naming
   * the field and the variable) when the name is reserved, not declared, or unset.
   */
  resolve(name: string, field: string): string {
    const refusal = secretEnvRefusal(name, this.declared);
    if (refusal) throw ApplicationFailure.nonRetryable(`${field}: ${refusal}`, FAILURE.CONFIG);
    const v = this.env[name];
    if (v === undefined || v === '')
      throw ApplicationFailure.nonRetryable(
        `${field}: environment variable ${name} is not set on the worker`,
        FAILURE.CONFIG,
      );
    registerSecretValue(v);
    return v;
  }

  /** Header values: literals as given (lower-cased names), `{ fromEnv }` resolved. */
  headers(headers: Record<string, string | { fromEnv: string }> | undefined, field: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers ?? {}))
      out[name.toLowerCase()] = typeof value === 'string' ? value : this.resolve(value.fromEnv, `${field}.${name}`);
    return out;
  }
}
