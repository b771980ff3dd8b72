/**
 * Where `readiness report --out` may write: inside the working directory, the reports directory
 * (READINESS_REPORT_DIR, default ./reports) or a directory listed in READINESS_OUT_DIRS (separated by the
 * platform's path delimiter). Symlinks are resolved before the check, so none can lead outside; the file is
 * written to a temporary name beside it and renamed over, so a symlink, fifo or device at the destination is
 * never followed and a failed write never leaves half a report.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** The directories output may go to, each resolved through its symlinks. */
function allowedOutRoots(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const roots = [
    cwd,
    path.resolve(cwd, env.READINESS_REPORT_DIR ?? 'reports'),
    ...(env.READINESS_OUT_DIRS ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((d) => path.resolve(cwd, d)),
  ];
  return [...new Set(roots.map(real))];
}

/**
 * A path through its symlinks: the deepest existing ancestor resolved, the rest appended. A component that
 * exists but cannot be resolved (a broken symlink, a loop, no permission) throws: it could later lead anywhere.
 */
function real(p: string): string {
  const rest: string[] = [];
  let at = path.resolve(p);
  for (;;) {
    try {
      return path.join(realpathSync(at), ...rest.reverse());
    } catch {
      if (exists(at)) throw new Error(`${at} cannot be resolved (a broken symbolic link, a loop or no permission)`);
      const parent = path.dirname(at);
      if (parent === at) return path.resolve(p);
      rest.push(path.basename(at));
      at = parent;
    }
  }
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Strictly inside: a file may be written under a root, never at the root's own path. */
const inside = (p: string, root: string) => p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/** Why `out` may not be written (a sentence naming the problem), or undefined when it may. */
export function outPathProblem(
  out: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string | undefined {
  if (!out.trim()) return 'is empty';
  const target = path.resolve(cwd, out);
  let roots: string[];
  let resolved: string;
  try {
    roots = allowedOutRoots(env, cwd);
    resolved = path.join(real(path.dirname(target)), path.basename(target));
  } catch (err) {
    return `is not a safe place to write: ${(err as Error).message}`;
  }
  if (roots.includes(resolved)) return 'is a directory: name a file inside it';
  if (!roots.some((r) => inside(resolved, r))) {
    return `is outside the places reports may be written (${roots.join(', ')}); add its directory to READINESS_OUT_DIRS to allow it`;
  }
  let st;
  try {
    st = lstatSync(target);
  } catch {
    return undefined;
  }
  if (st.isSymbolicLink()) return 'is a symbolic link: refusing to write through it';
  if (!st.isFile()) return `exists and is not a regular file (${st.isDirectory() ? 'a directory' : 'a special file'})`;
  return undefined;
}

/** Writes `text` to `out` atomically (temporary file beside it, then rename); creates missing directories inside the allowed roots. */
export async function writeOut(out: string, text: string): Promise<void> {
  const target = path.resolve(out);
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(text);
    await fh.close();
    await rename(tmp, target);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}
