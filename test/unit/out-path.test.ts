import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { outPathProblem as problemOf, writeOut } from '../../src/cli/out-path';
import { recordFigures } from '../helpers/figures';

/** Paths tried and refused, for docs/reliability.md. */
const counts = { pathsTried: 0, refused: 0, allowed: 0 };
function outPathProblem(...args: Parameters<typeof problemOf>): ReturnType<typeof problemOf> {
  const problem = problemOf(...args);
  counts.pathsTried += 1;
  if (problem === undefined) counts.allowed += 1;
  else counts.refused += 1;
  return problem;
}
afterAll(() => {
  recordFigures('hostile-out-paths', {
    scenario:
      '`report --out` paths: absolute or ../ outside the allowed places, symlinked directories, symlinks, directories, devices, broken links',
    test: 'test/unit/out-path.test.ts',
    figures: counts,
  });
});

describe('report --out: where a report may be written', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'outpath-'));
  const cwd = path.join(base, 'work');
  const elsewhere = path.join(base, 'elsewhere');
  mkdirSync(cwd);
  mkdirSync(elsewhere);
  const env = {};

  test('when the path is inside the working directory or the reports directory, then it is allowed (missing directories included)', () => {
    expect(outPathProblem('report.md', env, cwd)).toBeUndefined();
    expect(outPathProblem('out/deep/report.html', env, cwd)).toBeUndefined();
    expect(outPathProblem(path.join(elsewhere, 'r.md'), { READINESS_REPORT_DIR: elsewhere }, cwd)).toBeUndefined();
  });

  test('when the path leaves the allowed places (absolute, ../, a symlinked directory), then it is refused and READINESS_OUT_DIRS is named', () => {
    for (const out of ['/etc/readiness.md', '../elsewhere/r.md', path.join(elsewhere, 'r.md')]) {
      expect(outPathProblem(out, env, cwd)).toMatch(
        /^is outside the places reports may be written \(.*\); add its directory to READINESS_OUT_DIRS to allow it$/,
      );
    }
    symlinkSync(elsewhere, path.join(cwd, 'link-dir'));
    expect(outPathProblem('link-dir/r.md', env, cwd)).toMatch(/^is outside/);
    expect(outPathProblem('../elsewhere/r.md', { READINESS_OUT_DIRS: elsewhere }, cwd)).toBeUndefined();
  });

  test('when the destination is a symlink, a directory or a special file, then it is refused', () => {
    writeFileSync(path.join(elsewhere, 'target.md'), 'keep me');
    symlinkSync(path.join(cwd, 'inside.md'), path.join(cwd, 'link.md'));
    expect(outPathProblem('link.md', env, cwd)).toBe('is a symbolic link: refusing to write through it');
    mkdirSync(path.join(cwd, 'adir'));
    expect(outPathProblem('adir', env, cwd)).toBe('exists and is not a regular file (a directory)');
    expect(outPathProblem('/dev/null', { READINESS_OUT_DIRS: '/dev' }, cwd)).toBe(
      'exists and is not a regular file (a special file)',
    );
    expect(outPathProblem('  ', env, cwd)).toBe('is empty');
    expect(outPathProblem('.', env, cwd)).toBe('is a directory: name a file inside it');
    // A broken symlink on the way could later be pointed anywhere: refused.
    symlinkSync(path.join(base, 'nowhere'), path.join(cwd, 'dangling'));
    expect(outPathProblem('dangling/r.md', env, cwd)).toMatch(
      /^is not a safe place to write: .*dangling cannot be resolved \(a broken symbolic link, a loop or no permission\)$/,
    );
  });

  test('when a report is written, then it replaces the file whole and leaves no temporary file', async () => {
    const out = path.join(cwd, 'w', 'report.md');
    await writeOut(out, 'first');
    await writeOut(out, 'second');
    expect(readFileSync(out, 'utf8')).toBe('second');
    expect(readdirSync(path.dirname(out))).toEqual(['report.md']);
  });
});
