/**
 * Bad input (issue 9): a corpus of invalid campaign files, each with the problems it must produce
 * (`# expect:` lines), and property-based fuzzing of the validator and the YAML loader.
 */
import { recordFigures } from '../helpers/figures';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { loadCampaignFile, MAX_CAMPAIGN_BYTES, parseCampaignYaml, validateCampaign } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';
import { scratchNameProblem } from '../../src/core/backup';
import { MINIMAL_YAML } from '../helpers/config';

const CORPUS = path.join(__dirname, '..', 'fixtures', 'invalid');
const files = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/** The `# expect:` substrings at the top of a corpus file. */
function expectations(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /^# expect: (.+)$/.exec(l)?.[1])
    .filter((e): e is string => !!e);
}

/** Parses `text`; returns the ConfigError's problems as `path: message`, and how long it took. */
function refuse(text: string, file?: string): { problems: string[]; ms: number } {
  const t0 = performance.now();
  let thrown: unknown;
  try {
    parseCampaignYaml(text, file);
  } catch (err) {
    thrown = err;
  }
  const ms = performance.now() - t0;
  if (!(thrown instanceof ConfigError))
    throw new Error(
      `expected a ConfigError for ${file ?? 'input'}, got ${thrown === undefined ? 'a valid campaign' : String(thrown)}`,
    );
  return { problems: thrown.problems.map((p) => `${p.path}: ${p.message}`), ms };
}

describe('the invalid-campaign corpus', () => {
  test('when the corpus is listed, then it holds at least 50 files, each with an expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(50);
    for (const f of files) {
      expect(f).toMatch(/^\d{2}-[a-z0-9-]+\.yaml$/);
      const text = readFileSync(path.join(CORPUS, f), 'utf8');
      // The empty-file case is a file of comments only: YAML sees no document.
      expect({ file: f, expects: expectations(text).length > 0 }).toEqual({ file: f, expects: true });
    }
  });

  const slowest = { ms: 0, rejected: 0 };
  afterAll(() => {
    recordFigures('bad-input-corpus', {
      scenario: 'Invalid campaign files (corpus + generated huge file and alias bomb) and fuzzed inputs',
      test: 'test/unit/bad-input.test.ts',
      figures: {
        corpusFiles: files.length,
        rejectedAsExpected: slowest.rejected,
        slowestRejectionMs: Math.round(slowest.ms),
      },
    });
  });

  test.each(files)('when %s is parsed, then it is refused with every expected problem, in under 200 ms', (f) => {
    const text = readFileSync(path.join(CORPUS, f), 'utf8');
    const { problems, ms } = refuse(text, f);
    slowest.ms = Math.max(slowest.ms, ms);
    expect(problems.length).toBeGreaterThan(0);
    for (const e of expectations(text)) {
      expect({ expected: e, found: problems.some((p) => p.includes(e)), problems }).toEqual({
        expected: e,
        found: true,
        problems,
      });
    }
    expect(ms).toBeLessThan(200);
    slowest.rejected += 1;
  });

  test('when a file is larger than MAX_CAMPAIGN_BYTES, then it is refused before parsing, from text and from disk', async () => {
    const huge = `${MINIMAL_YAML}# ${'x'.repeat(MAX_CAMPAIGN_BYTES)}\n`;
    const { problems, ms } = refuse(huge);
    expect(problems).toEqual([`(file): file is larger than ${MAX_CAMPAIGN_BYTES} bytes`]);
    expect(ms).toBeLessThan(200);
    // Multi-byte characters count as bytes, not characters.
    expect(refuse(`${MINIMAL_YAML}# ${'é'.repeat(MAX_CAMPAIGN_BYTES / 2 + 1)}\n`).problems).toEqual([
      `(file): file is larger than ${MAX_CAMPAIGN_BYTES} bytes`,
    ]);
    const dir = mkdtempSync(path.join(tmpdir(), 'bad-input-'));
    try {
      const file = path.join(dir, 'huge.yaml');
      writeFileSync(file, huge);
      const t0 = performance.now();
      await expect(loadCampaignFile(file)).rejects.toThrow(ConfigError);
      await expect(loadCampaignFile(file)).rejects.toMatchObject({
        problems: [{ path: '(file)', message: `file is larger than ${MAX_CAMPAIGN_BYTES} bytes` }],
      });
      expect(performance.now() - t0).toBeLessThan(400);
      await expect(loadCampaignFile(path.join(dir, 'missing.yaml'))).rejects.toMatchObject({
        problems: [{ path: '(file)', message: 'cannot read: ENOENT' }],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('when an alias bomb is 30 levels deep (9^30 nodes expanded), then it is refused quickly without expanding', () => {
    const lines = ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= 30; i++)
      lines.push(
        `l${i}: &l${i} [${Array(9)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    const { problems, ms } = refuse(lines.join('\n'));
    expect(problems).toEqual(['(yaml): Excessive alias count indicates a resource exhaustion attack']);
    expect(ms).toBeLessThan(200);
  });

  test('when a few aliases are used legitimately, then they still resolve', () => {
    const text = `${MINIMAL_YAML}baseline:\n  phases:\n    - { name: smoke, users: 1, duration: &d 2m }\n    - { name: normal, users: 2, duration: *d }\n`;
    expect(() => parseCampaignYaml(text)).not.toThrow();
  });
});

describe('fuzzing the validator', () => {
  const RUNS = 300;

  test('when validateCampaign gets arbitrary values, then it never throws and always lists a located problem', () => {
    const check = (raw: unknown) => {
      const r = validateCampaign(raw);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.problems.length).toBeGreaterThan(0);
      for (const p of r.problems) {
        expect(typeof p.path).toBe('string');
        expect(typeof p.message).toBe('string');
        expect(p.path.length + p.message.length).toBeGreaterThan(0);
        expect(p.message.length).toBeGreaterThan(0);
      }
    };
    fc.assert(fc.property(fc.anything(), check), { numRuns: RUNS });
    fc.assert(fc.property(fc.object(), check), { numRuns: RUNS });
    fc.assert(fc.property(fc.jsonValue(), check), { numRuns: RUNS });
  });

  // A valid campaign as plain data, and every place in it: [path segments, value].
  const minimal = (): Record<string, unknown> => parse(MINIMAL_YAML) as Record<string, unknown>;
  type Seg = string | number;
  function places(v: unknown, at: Seg[] = []): Array<[Seg[], unknown]> {
    const here: Array<[Seg[], unknown]> = at.length ? [[at, v]] : [];
    if (Array.isArray(v)) return [...here, ...v.flatMap((x, i) => places(x, [...at, i]))];
    if (v && typeof v === 'object') return [...here, ...Object.entries(v).flatMap(([k, x]) => places(x, [...at, k]))];
    return here;
  }
  const fmt = (segs: Seg[]) =>
    segs
      .map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))
      .join('')
      .replace(/^\./, '');
  /** True when a problem at `problemPath` names `mutated` or one of its parents (never the bare root). */
  const names = (problemPath: string, mutated: string) =>
    problemPath === mutated || mutated.startsWith(`${problemPath}.`) || mutated.startsWith(`${problemPath}[`);
  function setAt(obj: Record<string, unknown>, segs: Seg[], value: unknown, remove = false) {
    let cur = obj as Record<Seg, unknown>;
    for (const s of segs.slice(0, -1)) cur = cur[s] as Record<Seg, unknown>;
    const last = segs[segs.length - 1]!;
    if (remove) {
      if (Array.isArray(cur)) cur.splice(last as number, 1);
      else delete cur[last];
    } else cur[last] = value;
  }
  const PLACES = places(minimal());

  test('when a valid campaign gets a wrong-typed value at a random place, then a problem names that place or a parent', () => {
    const wrong = (current: unknown) =>
      typeof current === 'string'
        ? fc.oneof(
            fc.integer(),
            fc.double(),
            fc.boolean(),
            fc.constant(null),
            fc.array(fc.string(), { maxLength: 3 }),
            fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
          )
        : fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
    const mutation = fc
      .constantFrom(...PLACES)
      .chain(([segs, current]) => wrong(current).map((value) => ({ segs, value })));
    fc.assert(
      fc.property(mutation, ({ segs, value }) => {
        const raw = minimal();
        setAt(raw, segs, value);
        const r = validateCampaign(raw);
        expect(r.ok).toBe(false);
        if (r.ok) return;
        const mutated = fmt(segs);
        expect({ mutated, named: r.problems.some((p) => names(p.path, mutated)), problems: r.problems }).toEqual({
          mutated,
          named: true,
          problems: r.problems,
        });
      }),
      { numRuns: RUNS },
    );
  });

  test('when a required key is deleted or an unknown key is added, then a problem names that place', () => {
    // Every key of the minimal campaign is required; removing the only request empties the list.
    const removal = fc.constantFrom(...PLACES.map(([segs]) => segs));
    fc.assert(
      fc.property(removal, (segs) => {
        const raw = minimal();
        setAt(raw, segs, undefined, true);
        const r = validateCampaign(raw);
        expect(r.ok).toBe(false);
        if (r.ok) return;
        const mutated = fmt(segs);
        // A removed array element makes the array itself wrong (too short).
        const expected = typeof segs[segs.length - 1] === 'number' ? fmt(segs.slice(0, -1)) : mutated;
        expect({ mutated, paths: r.problems.map((p) => p.path) }).toEqual({
          mutated,
          paths: expect.arrayContaining([expected]),
        });
      }),
      { numRuns: 50 },
    );

    const objects = PLACES.filter(([, v]) => v && typeof v === 'object' && !Array.isArray(v)).map(([segs]) => segs);
    const addition = fc.record({
      segs: fc.constantFrom<Seg[]>([], ...objects),
      key: fc.stringMatching(/^[a-z][a-zA-Z]{0,10}$/).map((k) => `x${k}`),
      value: fc.jsonValue(),
    });
    fc.assert(
      fc.property(addition, ({ segs, key, value }) => {
        const raw = minimal();
        if (segs.length) setAt(raw, [...segs, key], value);
        else raw[key] = value;
        const r = validateCampaign(raw);
        expect(r.ok).toBe(false);
        if (r.ok) return;
        expect(r.problems).toContainEqual({ path: fmt([...segs, key]), message: 'unknown field' });
      }),
      { numRuns: RUNS },
    );
  });

  test('when random text is given as YAML, then the loader only ever throws ConfigError', () => {
    const fragments = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ':',
      ': ',
      '- ',
      '&a ',
      '*a',
      '&b [*a, *a]',
      '<<: *a',
      '\n',
      '\n  ',
      '\t',
      '"',
      "'",
      '# c',
      '---\n',
      '...\n',
      'apiVersion: readiness/v1\n',
      'name: x\n',
      'users: -1',
      '!!binary aGk=',
      '!!map',
      '!custom ',
      '? ',
      '|\n  ',
      '>-\n  ',
      '%YAML 1.2\n',
      '%TAG ! tag:x,2000:\n',
      'key',
      '0x1F',
      '.inf',
      '~',
      'null',
      '\u0000',
      '\uFEFF',
      '😀',
    );
    const texts = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.array(fragments, { maxLength: 40 }).map((a) => a.join('')),
      fc.array(fragments, { maxLength: 20 }).map((a) => MINIMAL_YAML + a.join('')),
    );
    fc.assert(
      fc.property(texts, (text) => {
        try {
          parseCampaignYaml(text);
        } catch (err) {
          if (!(err instanceof ConfigError))
            throw new Error(`not a ConfigError for ${JSON.stringify(text)}: ${String(err)}`);
          expect(err.problems.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('hostile scratch database names', () => {
  // Refused twice: by the campaign validator (before any workflow starts) and by the drill itself before
  // it creates or drops anything (a workflow started without the CLI still meets the second).
  const ODD = [
    'Drill-DB; drop',
    'drill"; DROP DATABASE shop; --',
    "x'; drop table users; --",
    '$(rm -rf /)',
    '`id`',
    'drill\nname',
    'drill name',
    '../x',
    'ünïcode',
    'DRILL',
    '1drill',
    '',
    ' ',
    'a'.repeat(64),
    'drill\u0000',
    'drill;',
    'drill--',
    'pg_catalog.x',
  ];
  const SYSTEM = ['postgres', 'template0', 'template1'];
  const counts = { tried: 0, refusedByValidator: 0, refusedByDrill: 0 };
  afterAll(() => {
    recordFigures('hostile-scratch-names', {
      scenario:
        'Odd scratch database names (quotes, semicolons, shell syntax, unicode, too long, system or source database)',
      test: 'test/unit/bad-input.test.ts',
      figures: {
        namesTried: counts.tried,
        refusedByValidator: counts.refusedByValidator,
        refusedByDrill: counts.refusedByDrill,
      },
    });
  });

  const fileWith = (name: string) =>
    `${MINIMAL_YAML}backup:\n  postgres: { connection: { fromEnv: DB_URL }, scratchDatabase: ${JSON.stringify(name)} }\n`;

  test.each(ODD)('when the scratch database is %j, then the validator and the drill both refuse it', (name) => {
    counts.tried += 1;
    const { problems } = refuse(fileWith(name));
    expect(problems).toContain(
      'backup.postgres.scratchDatabase: scratchDatabase must be a lowercase identifier (letters, digits, _; max 63)',
    );
    counts.refusedByValidator += 1;
    expect(scratchNameProblem(name, 'shop')).toMatch(/is not a plain lowercase identifier$/);
    counts.refusedByDrill += 1;
  });

  test('when the scratch database is the source or a system database, then the drill refuses it by name', () => {
    for (const name of [...SYSTEM, 'shop']) {
      counts.tried += 1;
      expect(scratchNameProblem(name, 'shop')).toMatch(
        name === 'shop' ? /is the source database: refusing$/ : /is a system database: refusing$/,
      );
      counts.refusedByDrill += 1;
    }
  });

  test('when any string is offered as a scratch name, then the drill accepts exactly the plain identifiers that are neither source nor system', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[a-z_][a-z0-9_]{0,70}$/)), (name) => {
        const plain = /^[a-z_][a-z0-9_]{0,62}$/.test(name) && !['shop', ...SYSTEM].includes(name);
        expect(scratchNameProblem(name, 'shop') === undefined).toBe(plain);
      }),
      { numRuns: 1000 },
    );
  });
});
