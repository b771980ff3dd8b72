/**
 * Matching of `*` wildcards (checklist bindings such as `prometheus.rules_*`) without a regular expression:
 * a campaign file controls the pattern, and a pattern of many stars compiled to `.*` chains backtracks
 * exponentially. This runs in O(pattern + text) per match attempt of each literal piece (indexOf).
 */

/**
 * True when `text` matches `pattern`, where `*` stands for any run of characters (also none) and every
 * other character for itself. The pieces between stars are found left to right, each at its first place
 * after the previous one; that is enough, since a star can absorb whatever lies between them.
 */
export function globMatch(pattern: string, text: string): boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return pattern === text;
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!;
    if (!piece) continue;
    const found = text.indexOf(piece, at);
    if (found === -1 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}
