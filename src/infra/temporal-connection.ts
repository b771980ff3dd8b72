/**
 * How the CLI and the worker reach a Temporal cluster beyond an address: TLS (server-authenticated, or
 * mutual with a client certificate) and an API key (Temporal Cloud), from the environment. Files are
 * read here; a variable that names a missing file, or a certificate without its key, is an
 * EnvironmentError naming the variable (exit 2). The key material never enters logs or errors.
 */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { EnvironmentError } from '../core/errors';

/** The connection options shared by `Connection.connect` (client) and `NativeConnection.connect` (worker). */
export interface TemporalSecurity {
  tls?: TLSConfig | true;
  apiKey?: string;
}

function readPem(env: NodeJS.ProcessEnv, name: string): Buffer | undefined {
  const file = env[name];
  if (!file) return undefined;
  try {
    const pem = readFileSync(file);
    if (!pem.includes('-----BEGIN ')) throw new EnvironmentError(name, `${file} is not a PEM file`);
    return pem;
  } catch (err) {
    if (err instanceof EnvironmentError) throw err;
    throw new EnvironmentError(
      name,
      `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

/**
 * TLS and API key from `TEMPORAL_TLS` (true/false), `TEMPORAL_TLS_CA` (CA of the server's certificate,
 * PEM file; default: the system's), `TEMPORAL_TLS_CERT` + `TEMPORAL_TLS_KEY` (client certificate for mTLS,
 * PEM files, both or neither), `TEMPORAL_TLS_SERVER_NAME` (name to verify the server's certificate
 * against) and `TEMPORAL_API_KEY`. Any of them but `TEMPORAL_TLS=false` turns TLS on.
 */
export function temporalSecurityFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSecurity {
  const flag = env.TEMPORAL_TLS?.trim().toLowerCase();
  if (flag && !['true', 'false', '1', '0'].includes(flag))
    throw new EnvironmentError('TEMPORAL_TLS', `"${env.TEMPORAL_TLS}" is not true or false`);
  const ca = readPem(env, 'TEMPORAL_TLS_CA');
  const crt = readPem(env, 'TEMPORAL_TLS_CERT');
  const key = readPem(env, 'TEMPORAL_TLS_KEY');
  if (!!crt !== !!key)
    throw new EnvironmentError(
      crt ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT',
      'a client certificate needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY',
    );
  const serverName = env.TEMPORAL_TLS_SERVER_NAME?.trim() || undefined;
  const apiKey = env.TEMPORAL_API_KEY?.trim() || undefined;
  const wanted = flag === 'true' || flag === '1' || !!(ca || crt || serverName || apiKey);
  if (flag === 'false' || flag === '0') {
    if (ca || crt || serverName)
      throw new EnvironmentError('TEMPORAL_TLS', 'is false but TLS files or a server name are set');
    return apiKey ? { apiKey } : {};
  }
  if (!wanted) return {};
  const tls: TLSConfig = {
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    ...(serverName ? { serverNameOverride: serverName } : {}),
  };
  return { tls: Object.keys(tls).length ? tls : true, ...(apiKey ? { apiKey } : {}) };
}
