import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_DATA_DIR } from './paths';

/** What a running `dev`/`demo` publishes in `<dataDir>/dev.json` (mode 0600) for the other commands. */
export interface DevState {
  address: string;
  namespace: string;
  uiUrl: string;
  databaseUrl: string;
  reportRoot: string;
  pid: number;
}

/** Writes dev.json, readable by the owner only (it holds the local database URL). */
export function writeDevState(dataDir: string, state: DevState): void {
  writeFileSync(path.join(dataDir, 'dev.json'), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Reads dev.json from a data dir, if a stack is (or was) running there. */
function readDevState(dataDir = DEFAULT_DATA_DIR): DevState | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dataDir, 'dev.json'), 'utf8')) as DevState;
  } catch {
    return undefined;
  }
}

/** Where CLI commands connect: flags, then env, then a running dev stack, then the defaults. */
export interface Endpoints {
  address: string;
  namespace: string;
  uiUrl: string;
  databaseUrl?: string;
}

/** Resolves the Temporal address, namespace, Web UI URL and results database for CLI commands. */
export function resolveEndpoints(
  opts: { address?: string; namespace?: string; dataDir?: string },
  env: NodeJS.ProcessEnv = process.env,
): Endpoints {
  const dev = readDevState(opts.dataDir ?? DEFAULT_DATA_DIR);
  const address = opts.address ?? env.TEMPORAL_ADDRESS ?? dev?.address ?? '127.0.0.1:7233';
  const namespace = opts.namespace ?? env.TEMPORAL_NAMESPACE ?? dev?.namespace ?? 'default';
  const [host, port] = address.split(':');
  const uiUrl =
    env.READINESS_UI_URL ?? (dev && dev.address === address ? dev.uiUrl : `http://${host}:${Number(port) + 1000}`);
  return { address, namespace, uiUrl, databaseUrl: env.DATABASE_URL ?? dev?.databaseUrl };
}

/** The Web UI link of one campaign. */
export function workflowUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
