/**
 * The Prometheus text exposition format (version 0.0.4), read by a hand-written tokenizer in one pass per
 * line. The endpoints it reads are named by campaign files, so a page is hostile input: the regular
 * expression this replaces backtracked exponentially on a line of label groups separated by runs of spaces.
 * Every loop below advances through the line, so a page costs time linear in its length.
 */

/** One sample line: `name{label="value",...} value [timestamp]`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** What a page holds: metric family names, the sample count, the first problems, and the samples asked for. */
export interface Exposition {
  /** Names of TYPE lines and sample names (also without a _bucket/_sum/_count/_total/_created suffix). */
  names: Set<string>;
  samples: number;
  /** At most 5, each `line N: ...`. */
  problems: string[];
  /** Samples whose name `keep` accepted (none without `keep`). */
  kept: Sample[];
}

const MAX_PROBLEMS = 5;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const FLOAT = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?Inf$|^NaN$/;
const TIMESTAMP = /^-?\d+$/;

const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58; // a-z A-Z _ :
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);
const isLabelStart = (c: number) => isNameStart(c) && c !== 58;
const isLabelChar = (c: number) => isNameChar(c) && c !== 58;
const isBlank = (c: number) => c === 32 || c === 9;

/** Parses one sample line; a string says why it is not one. */
function parseSample(line: string): Sample | string {
  let i = 0;
  const n = line.length;
  const skipBlanks = () => {
    while (i < n && isBlank(line.charCodeAt(i))) i++;
  };
  if (!isNameStart(line.charCodeAt(0))) return 'not a sample';
  while (i < n && isNameChar(line.charCodeAt(i))) i++;
  const name = line.slice(0, i);
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      skipBlanks();
      if (line[i] === '}') {
        i++;
        break;
      }
      const start = i;
      if (!isLabelStart(line.charCodeAt(i))) return 'bad label name';
      while (i < n && isLabelChar(line.charCodeAt(i))) i++;
      const label = line.slice(start, i);
      skipBlanks();
      if (line[i] !== '=') return 'label without "="';
      i++;
      skipBlanks();
      if (line[i] !== '"') return 'label value not quoted';
      i++;
      let value = '';
      let closed = false;
      while (i < n) {
        // A run of plain characters is copied in one slice.
        const runStart = i;
        let c = line.charCodeAt(i);
        while (i < n && c !== 34 && c !== 92) c = line.charCodeAt(++i); // '"' and '\'
        value += line.slice(runStart, i);
        if (i >= n) break;
        if (c === 34) {
          closed = true;
          i++;
          break;
        }
        const next = line[i + 1];
        if (next === undefined) break;
        value += next === 'n' ? '\n' : next;
        i += 2;
      }
      if (!closed) return 'unterminated label value';
      labels[label] = value;
      skipBlanks();
      if (line[i] === ',') i++;
      else if (line[i] !== '}') return 'labels not separated by ","';
    }
  }
  if (i >= n || !isBlank(line.charCodeAt(i))) return 'no value';
  skipBlanks();
  const valueStart = i;
  while (i < n && !isBlank(line.charCodeAt(i))) i++;
  const valueText = line.slice(valueStart, i);
  if (!FLOAT.test(valueText)) return 'bad value';
  skipBlanks();
  if (i < n) {
    const tsStart = i;
    while (i < n && !isBlank(line.charCodeAt(i))) i++;
    if (!TIMESTAMP.test(line.slice(tsStart, i))) return 'bad timestamp';
    skipBlanks();
    if (i < n) return 'trailing text';
  }
  return { name, labels, value: Number(valueText.replace(/^([-+]?)Inf$/, '$1Infinity')) };
}

/** Parses `# TYPE name type`; the name, or undefined when malformed. */
function parseTypeLine(line: string): string | undefined {
  const parts = line
    .slice('# TYPE '.length)
    .split(/[ \t]+/)
    .filter(Boolean);
  if (parts.length !== 2 || !TYPES.has(parts[1]!)) return undefined;
  const name = parts[0]!;
  for (let i = 0; i < name.length; i++) if (!(i === 0 ? isNameStart : isNameChar)(name.charCodeAt(i))) return undefined;
  return name;
}

/**
 * Reads a /metrics page: every line is blank, a comment (`# HELP`, `# TYPE` or other), or a sample. Returns
 * the metric names, the sample count, the first problems and the samples whose name `keep` accepts.
 */
export function parseExposition(text: string, keep?: (name: string) => boolean): Exposition {
  const names = new Set<string>();
  const problems: string[] = [];
  const kept: Sample[] = [];
  let samples = 0;
  let lineNo = 0;
  let from = 0;
  while (from <= text.length) {
    let to = text.indexOf('\n', from);
    if (to === -1) to = text.length;
    const line = text.slice(from, to).replace(/\r$/, '');
    lineNo++;
    from = to + 1;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      if (line.startsWith('# TYPE ')) {
        const t = parseTypeLine(line);
        if (t) names.add(t);
        else if (problems.length < MAX_PROBLEMS) problems.push(`line ${lineNo}: malformed TYPE line`);
      }
      continue;
    }
    const s = parseSample(line);
    if (typeof s === 'string') {
      if (problems.length < MAX_PROBLEMS) problems.push(`line ${lineNo}: not a sample (${s}): ${line.slice(0, 80)}`);
      continue;
    }
    samples++;
    names.add(s.name.replace(/_(bucket|sum|count|total|created)$/, '')).add(s.name);
    if (keep?.(s.name)) kept.push(s);
  }
  if (samples === 0 && problems.length === 0) problems.push('no samples');
  return { names, samples, problems, kept };
}
