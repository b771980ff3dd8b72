/**
 * The text forms a campaign file uses inside requests: `{{ name }}` placeholders (scanned in one linear pass:
 * a campaign controls the text) and capture paths such as `data.items[0].id`. Pure.
 */

/** One `{{ name }}` in a text: where it starts and ends (exclusive), and the name. */
export interface Placeholder {
  start: number;
  end: number;
  name: string;
}

/** JavaScript's `\s` at `text[i]`: ASCII whitespace by code, anything else by the (one-character) regular expression. */
const isSpaceAt = (text: string, i: number) => {
  const code = text.charCodeAt(i);
  return code < 128 ? code === 32 || (code >= 9 && code <= 13) : /\s/.test(text[i]!);
};

/**
 * The `{{ name }}` placeholders of a text (a name is a run of characters other than `}` and whitespace, with
 * optional whitespace around it), in one pass: a campaign file controls the text, and the regular expression
 * this replaces was quadratic on a run of `{`. When a candidate at `{{` fails, no start inside its name run can
 * succeed (their names end at the same character) but the one at its last two characters, so the scan resumes there.
 */
export function scanPlaceholders(text: string): Placeholder[] {
  const out: Placeholder[] = [];
  let i = text.indexOf('{{');
  while (i !== -1) {
    const n = text.length;
    let j = i + 2;
    while (j < n && isSpaceAt(text, j)) j++;
    const nameStart = j;
    while (j < n && text.charCodeAt(j) !== 125 && !isSpaceAt(text, j)) j++; // 125: '}'
    const nameEnd = j;
    while (j < n && isSpaceAt(text, j)) j++;
    if (nameEnd > nameStart && text.startsWith('}}', j)) {
      out.push({ start: i, end: j + 2, name: text.slice(nameStart, nameEnd) });
      i = text.indexOf('{{', j + 2);
    } else {
      // A start inside the name run ends its name at the same character and fails the same way, except one whose
      // `{{` are the run's last two characters (its name is the next run): resume there.
      i = text.indexOf('{{', Math.max(i + 1, nameEnd - 2));
    }
  }
  return out;
}

/** Names of the `{{vars}}` a text uses. */
export function placeholders(text: string): string[] {
  return scanPlaceholders(text).map((p) => p.name);
}

/** Replaces each placeholder (found by `scan`) by `value(name)`. */
export function replacePlaceholders(text: string, value: (name: string) => string, scan = scanPlaceholders): string {
  const found = scan(text);
  if (!found.length) return text;
  let out = '';
  let at = 0;
  for (const p of found) {
    out += text.slice(at, p.start) + value(p.name);
    at = p.end;
  }
  return out + text.slice(at);
}

/** The name when the whole text is one placeholder (`"{{id}}"`: the JSON value keeps the variable's type). */
export function wholePlaceholder(text: string, scan = scanPlaceholders): string | undefined {
  const found = scan(text);
  return found.length === 1 && found[0]!.start === 0 && found[0]!.end === text.length ? found[0]!.name : undefined;
}

/** A parsed capture path such as `data.items[0].id`. */
export type CapturePath = Array<string | number>;

/** Parses `a.b[0].c` (a leading `$.` is allowed); undefined when malformed. */
export function parseCapturePath(text: string): CapturePath | undefined {
  const t = text.replace(/^\$\.?/, '');
  if (!t) return undefined;
  const out: CapturePath = [];
  for (const part of t.split('.')) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)?((?:\[\d+\])*)$/.exec(part);
    if (!m || (!m[1] && !m[2])) return undefined;
    if (m[1]) out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** Reads a captured value out of a parsed JSON body; only strings and numbers are captured. */
export function extract(body: unknown, path: CapturePath): string | number | undefined {
  let v: unknown = body;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return typeof v === 'string' || typeof v === 'number' ? v : undefined;
}
