/**
 * Parsers of input a campaign controls run in linear time: the /metrics tokenizer, checklist globs, `{{var}}`
 * placeholders and checklist expressions. Each is fuzzed against the regular expression it replaced (on inputs
 * small enough for that one to finish) and given the inputs that made the old one backtrack, each of which must
 * be handled in under 50 ms.
 */
import fc from 'fast-check';
import { parseExposition } from '../../src/core/exposition';
import { globMatch } from '../../src/core/glob';
import { placeholders } from '../../src/core/template';
import { parseExpr } from '../../src/core/checklist';
import { parseCampaignYaml } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';
import { recordFigures } from '../helpers/figures';
import { MINIMAL_YAML } from '../helpers/config';

const BOUND_MS = 50;
const timings: Array<{ input: string; ms: number }> = [];

/**
 * The text as it arrives: a probe decodes a Buffer and YAML yields plain strings, both flat. (`'x'.repeat(n)` and
 * joins build rope strings, whose character access alone costs several times more until V8 flattens them.)
 */
const flat = (text: string) => Buffer.from(text, 'utf8').toString('utf8');

/**
 * Runs `fn` (after one warm-up call) three times and records the fastest: another process on the machine can slow
 * one call down, never all three, while a super-linear parser is slow every time.
 */
function timed<T>(input: string, fn: () => T): T {
  let out = fn();
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    out = fn();
    best = Math.min(best, performance.now() - t0);
  }
  timings.push({ input, ms: best });
  return out;
}

afterAll(() => {
  const slowest = timings.reduce((a, b) => (b.ms > a.ms ? b : a), { input: '', ms: 0 });
  recordFigures('pathological-input', {
    scenario:
      'Pathological inputs to the parsers a campaign controls (/metrics pages, checklist globs and expressions, {{var}} placeholders, a whole campaign file)',
    test: 'test/unit/linear-parsing.test.ts',
    figures: {
      inputs: timings.length,
      boundMs: BOUND_MS,
      slowestMs: Math.round(slowest.ms * 10) / 10,
      slowestInput: slowest.input,
    },
  });
});

describe('the /metrics tokenizer', () => {
  // The grammar as a regular expression (fine for the short lines of the fuzz test): labels separated by commas.
  const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*[ \\t]*=[ \\t]*"(?:[^"\\\\]|\\\\.)*"';
  const REFERENCE = new RegExp(
    `^[a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[ \\t]*(?:${LABEL}[ \\t]*,[ \\t]*)*(?:${LABEL}[ \\t]*)?\\})?[ \\t]+(\\S+)(?:[ \\t]+-?\\d+)?[ \\t]*$`,
  );
  const FLOAT = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?Inf$|^NaN$/;

  test.each([
    [
      'label groups separated by runs of spaces, unterminated',
      `m{${Array.from({ length: 40 }, (_, i) => `l${i}="v"${' '.repeat(30)}`).join('')}`,
    ],
    ['the same with commas and no closing brace', `m{${'a="1"  ,  '.repeat(2_000)}`],
    ['a 256 KiB label value never closed', `m{a="${'x'.repeat(1 << 18)}`],
    ['a 256 KiB run of digits as the value', `m ${'1'.repeat(1 << 18)}x`],
    ['20,000 lines of broken samples', Array.from({ length: 20_000 }, () => 'm{a="1" b="2"} 1').join('\n')],
  ])('when a page holds %s, then it is refused in under 50 ms', (what, text) => {
    const page = flat(text);
    const parsed = timed(`/metrics: ${what}`, () => parseExposition(page));
    expect(parsed.samples).toBe(0);
    expect(parsed.problems.length).toBeGreaterThan(0);
    expect(timings.at(-1)!.ms).toBeLessThan(BOUND_MS);
  });

  test('when a page is 300,000 valid samples, then every one is read', () => {
    const page = Array.from({ length: 300_000 }, (_, i) => `req_total{code="200",path="/p${i % 100}"} ${i}`).join('\n');
    const parsed = parseExposition(page, (n) => n === 'req_total');
    expect(parsed.samples).toBe(300_000);
    expect(parsed.kept[123]).toEqual({ name: 'req_total', labels: { code: '200', path: '/p23' }, value: 123 });
  });

  const name = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,8}$/);
  const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/);
  const labelValue = fc.string({ maxLength: 8 });
  const value = fc.oneof(
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.constantFrom('+Inf', '-Inf', 'NaN', '1e3', '.5'),
  );
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

  test('when samples are written in the text format, then the tokenizer reads back their names, labels and values', () => {
    fc.assert(
      fc.property(
        name,
        fc.uniqueArray(fc.tuple(labelName, labelValue), { selector: ([k]) => k, maxLength: 4 }),
        value,
        fc.option(fc.integer({ min: 0 }), { nil: undefined }),
        (n, labels, v, ts) => {
          const line = `${n}${labels.length ? `{${labels.map(([k, x]) => `${k}="${escape(x)}"`).join(',')}}` : ''} ${v}${ts === undefined ? '' : ` ${ts}`}`;
          const { kept, problems } = parseExposition(line, () => true);
          expect(problems).toEqual([]);
          expect(kept).toHaveLength(1);
          expect(kept[0]!.name).toBe(n);
          expect(kept[0]!.labels).toEqual(Object.fromEntries(labels));
          expect(kept[0]!.value).toBe(Number(v.replace('Inf', 'Infinity')));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  test('when a short line is drawn at random, then the tokenizer accepts it exactly when the grammar does', () => {
    const alphabet = fc.constantFrom('m', 'a', '=', '"', '{', '}', ',', ' ', '\t', '1', '\\', '.', 'e', '-', '#');
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 24 }).map((cs) => cs.join('')),
        (line) => {
          const m = REFERENCE.exec(line);
          const grammar = !!m && FLOAT.test(m[1]!) && !line.startsWith('#');
          if (line.trim() === '' || line.startsWith('#')) return;
          expect({ line, accepted: parseExposition(line).samples === 1 }).toEqual({ line, accepted: grammar });
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe('checklist globs', () => {
  const reference = (pattern: string, text: string) =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    ).test(text);

  test('when a glob and an id are drawn at random, then matching agrees with the regular expression it replaced', () => {
    const chars = fc.constantFrom('a', 'b', '.', '*', '_');
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 8 }).map((c) => c.join('')),
        fc.array(fc.constantFrom('a', 'b', '.', '_'), { maxLength: 10 }).map((c) => c.join('')),
        (pattern, text) => {
          expect(globMatch(pattern, text)).toBe(reference(pattern, text));
        },
      ),
      { numRuns: 10_000 },
    );
  });

  test('when a glob has many stars and the id almost matches, then it is decided in under 50 ms', () => {
    const pattern = `${'a*'.repeat(30)}b`;
    const id = 'a'.repeat(10_000);
    expect(timed('checklist glob: 30 stars against 10,000 a', () => globMatch(pattern, id))).toBe(false);
    expect(timings.at(-1)!.ms).toBeLessThan(BOUND_MS);
  });
});

describe('{{var}} placeholders', () => {
  const OLD = /\{\{\s*([^}\s]+)\s*\}\}/g;

  test('when a text is drawn at random, then the placeholders found agree with the regular expression they replaced', () => {
    const chars = fc.constantFrom('{', '}', 'a', 'b', ' ', '\t', '\u00a0', '-');
    // Found by this property once: a failed candidate whose name run ends in "{{" starts the next one.
    expect(placeholders('b{{{\t -}}b- -{}--b}}b ')).toEqual(['-']);
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 30 }).map((c) => c.join('')),
        (text) => {
          expect(placeholders(text)).toEqual([...text.matchAll(OLD)].map((m) => m[1]));
        },
      ),
      { numRuns: 10_000 },
    );
  });

  test.each([
    ['a 256 KiB run of "{"', '{'.repeat(1 << 18)],
    ['"{{" then 256 KiB of name characters, never closed', `{{${'a'.repeat(1 << 18)}`],
    ['20,000 "{{ a" never closed', '{{ a '.repeat(20_000)],
  ])('when a text is %s, then it is scanned in under 50 ms', (what, raw) => {
    const text = flat(raw);
    expect(timed(`placeholders: ${what}`, () => placeholders(text))).toEqual([]);
    expect(timings.at(-1)!.ms).toBeLessThan(BOUND_MS);
  });

  test('when a 40 KB campaign file is a request path of "{{", then it is validated (and refused) in under 50 ms', () => {
    const yaml = MINIMAL_YAML.replace(/path: \/\S*/, `path: "/${'{'.repeat(40_000)}"`);
    const refuse = () => {
      try {
        parseCampaignYaml(yaml);
        return 'valid';
      } catch (err) {
        return err instanceof ConfigError ? 'refused' : String(err);
      }
    };
    const outcome = timed('campaign file: 40 KB of "{" in a request path', refuse);
    expect(['valid', 'refused']).toContain(outcome);
    expect(timings.at(-1)!.ms).toBeLessThan(BOUND_MS);
  });
});

describe('checklist expressions', () => {
  test.each([
    ['a 100,000-space run between terms', `a.b > 1${' '.repeat(100_000)}x`],
    ['50,000 "and"s without terms', ' and'.repeat(50_000)],
    ['a quote never closed', `a == '${'x '.repeat(50_000)}`],
  ])('when an expression holds %s, then it is refused in under 50 ms', (what, raw) => {
    const text = flat(raw);
    expect(timed(`checklist expr: ${what}`, () => parseExpr(text))).toHaveProperty('error');
    expect(timings.at(-1)!.ms).toBeLessThan(BOUND_MS);
  });

  test('when terms are joined with and / &&, then each term is parsed', () => {
    const e = parseExpr(
      "stress.breakingPoint.users >= 300 and baseline.phases[peak].latencyMs.p95 < 500 && x == 'a and b'",
    );
    expect('terms' in e && e.terms.map((t) => t.pathText)).toEqual([
      'stress.breakingPoint.users',
      'baseline.phases[peak].latencyMs.p95',
      'x',
    ]);
  });
});
