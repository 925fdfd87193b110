/**
 * Case folding for Sigma's case-insensitive matching that keeps string length.
 *
 * `String.prototype.toLowerCase` turns a few characters into two code units (U+0130 `İ` becomes
 * `i̇`), which would make `?` and anchored matches disagree with the original text. Those few
 * characters are kept as they are; everything else is lower-cased as usual.
 */
export function foldCase(s: string): string {
  const lower = s.toLowerCase();
  if (lower.length === s.length) return lower;
  let out = '';
  for (const ch of s) {
    const l = ch.toLowerCase();
    out += l.length === ch.length ? l : ch;
  }
  return out;
}
