import path from 'node:path';

/** The package root (where package.json lives), from src/ or dist/. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** Where binaries the tool builds or downloads are cached (`.cache/bin`, or READINESS_CACHE_DIR). */
export function cacheBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.READINESS_CACHE_DIR ? path.resolve(env.READINESS_CACHE_DIR) : path.join(PACKAGE_ROOT, '.cache', 'bin');
}

/** Default data directory of `dev` and `demo`: `.readiness/` in the working directory. */
export const DEFAULT_DATA_DIR = '.readiness';
