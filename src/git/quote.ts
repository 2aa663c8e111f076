/**
 * Paths as bytes: git's C-style quoting, and the text a path is shown as.
 *
 * Paths travel as the bytes git printed (`-z` output): a file name that is
 * not valid UTF-8 has no JavaScript string that names it, so it is never
 * decoded on its way back to git.
 *
 * @module
 */

const strict = new TextDecoder("utf-8", { fatal: true });

/** Escapes git writes as a letter (`\t`) rather than octal. */
const LETTER: Record<number, string> = {
  7: "a",
  8: "b",
  9: "t",
  10: "n",
  11: "v",
  12: "f",
  13: "r",
  34: '"',
  92: "\\",
};

/**
 * The UTF-8 text of some bytes, or null when they are not valid UTF-8.
 *
 * @param bytes The bytes.
 * @returns The text, or null.
 */
export function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}

function needsQuote(b: number, space: boolean): boolean {
  return b < 0x20 || b === 34 || b === 92 || b >= 0x7f || (space && b === 32);
}

/**
 * Quotes a path as git does with `core.quotePath=true` (control characters,
 * `"`, `\` and bytes from 0x7f as escapes, the whole path in double quotes);
 * a path that needs none is returned as it is.
 *
 * @param path The path's bytes.
 * @param quoteSpace Quote a path that contains a space too (as `git status
 *   --porcelain` does).
 * @returns The quoted (or plain) path.
 */
export function cQuote(path: Uint8Array, quoteSpace = false): string {
  if (!path.some((b) => needsQuote(b, quoteSpace))) {
    return utf8OrNull(path) ?? "";
  }
  let out = '"';
  for (const b of path) {
    if (b in LETTER) out += `\\${LETTER[b]}`;
    else if (b < 0x20 || b >= 0x7f) {
      out += `\\${b.toString(8).padStart(3, "0")}`;
    } else out += String.fromCharCode(b);
  }
  return out + '"';
}

/**
 * The text a path is recorded as: its UTF-8 text when valid, else the
 * C-quoted form (`"\377.txt"`).
 *
 * @param path The path's bytes.
 * @returns The text.
 */
export function pathText(path: Uint8Array): string {
  return utf8OrNull(path) ?? cQuote(path);
}

/**
 * Orders byte strings as git orders paths (unsigned bytes, shorter first).
 *
 * @param a A path.
 * @param b Another path.
 * @returns Negative, zero or positive.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * Joins byte strings.
 *
 * @param parts The parts.
 * @returns One array holding them in order.
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Whether two byte strings are equal.
 *
 * @param a One.
 * @param b The other.
 * @returns Whether they hold the same bytes.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
