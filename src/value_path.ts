/**
 * The one definition of value paths, used by the tracker's summaries, the
 * reader, the scanner, `--where` and the CLI alike.
 *
 * A path is a list of segments written joined by dots: `value.metrics.acc`.
 * A segment is a key, or `[]` for every element of a list
 * (`value.history.[].loss`); a bare segment of digits also indexes a list
 * when read by {@linkcode parsePath}'s users (`value.history.0.loss`).
 *
 * A key that would be ambiguous written bare — empty, containing a dot, a
 * double quote, a backslash, white space, a control character or another
 * character a display escapes (C1 controls, bidirectional controls, U+2028,
 * U+2029, the BOM), a lone surrogate, or equal to `[]` — is written as a
 * JSON string: `{"val.acc": 0.5}` tracked is the path `value."val.acc"`,
 * distinct from `{val: {acc: 0.5}}` at `value.val.acc`. Inside that string
 * such characters are written as JSON escapes (`value."t\tk"`,
 * `value."a\u202eb"`, `value."\ud800"`), so a written path holds only
 * printable characters: it can be shown as it is and pasted back.
 *
 * This module has no imports, so that the scanner's worker source can
 * include it whole.
 *
 * @module
 */

/** The segment that stands for every element of a list. */
export const EVERY = null;

/** One segment: a key, or {@linkcode EVERY} (written `[]`). */
export type Segment = string | null;

/**
 * The characters a display escapes (see `src/cli/format.ts`): C0 and C1
 * controls, bidirectional controls, the line and paragraph separators and
 * the BOM, as the body of a regular-expression character class.
 */
export const DISPLAY_UNSAFE =
  "\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ufeff";

const BARE = new RegExp(`^[^."\\\\\\s${DISPLAY_UNSAFE}\\ud800-\\udfff]+$`, "u");

/** What JSON.stringify leaves raw but a display would escape. */
const RAW_UNSAFE = new RegExp(`[${DISPLAY_UNSAFE}]`, "gu");

function quoted(key: string): string {
  return JSON.stringify(key).replace(
    RAW_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Whether a key must be written quoted in a path.
 *
 * @param key An object key.
 * @returns `true` for keys that are empty, equal `[]`, or hold a dot, a
 *   double quote, a backslash, white space, a lone surrogate or a
 *   character a display escapes.
 */
export function needsQuote(key: string): boolean {
  return key === "[]" || !BARE.test(key);
}

/**
 * A key as written in a path: bare when unambiguous, else a JSON string.
 *
 * @param key An object key.
 * @returns E.g. `acc`, or `"val.acc"` (with the quotes), `"t\\tk"` for a
 *   key holding a tab: only printable characters.
 */
export function quoteKey(key: string): string {
  return key === "[]" || !BARE.test(key) ? quoted(key) : key;
}

/**
 * The path of a key below a parent path.
 *
 * @param parent The parent, e.g. `value.metrics`.
 * @param key The key, e.g. `val.acc`.
 * @returns E.g. `value.metrics."val.acc"`.
 */
export function childPath(parent: string, key: string): string {
  return parent + "." +
    (key === "[]" || !BARE.test(key) ? quoted(key) : key);
}

/**
 * The path of every element of the list at a parent path.
 *
 * @param parent The parent, e.g. `value.history`.
 * @returns E.g. `value.history.[]`.
 */
export function listPath(parent: string): string {
  return parent + ".[]";
}

/**
 * Splits a written path into segments. Empty bare segments (`a..b`, a
 * trailing dot) are dropped, as earlier versions did.
 *
 * @param text The written path, e.g. `value.metrics."val.acc"`.
 * @returns The segments: keys as strings, `[]` as {@linkcode EVERY}.
 * @throws {RangeError} On an unterminated or malformed quoted key, text
 *   after a quoted key other than a dot, or a path with no segment.
 */
export function parsePath(text: string): Segment[] {
  if (typeof text !== "string") {
    throw new TypeError(
      `Invalid path ${String(text)}: expected a string`,
    );
  }
  const out: Segment[] = [];
  let i = 0;
  const n = text.length;
  while (i <= n) {
    if (text.charCodeAt(i) === 34) { // a quoted key
      let j = i + 1;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === 92) j += 2;
        else if (c === 34) break;
        else j++;
      }
      if (j >= n) {
        throw new RangeError(
          `Invalid path ${JSON.stringify(text)}: unterminated quoted key`,
        );
      }
      let key: unknown;
      try {
        key = JSON.parse(text.slice(i, j + 1));
      } catch {
        throw new RangeError(
          `Invalid path ${JSON.stringify(text)}: malformed quoted key ${
            text.slice(i, j + 1)
          }`,
        );
      }
      out.push(key as string);
      i = j + 1;
      if (i < n && text.charCodeAt(i) !== 46) {
        throw new RangeError(
          `Invalid path ${
            JSON.stringify(text)
          }: expected a dot after the quoted key ${text.slice(0, i)}`,
        );
      }
      i++;
      continue;
    }
    let j = text.indexOf(".", i);
    if (j < 0) j = n;
    const seg = text.slice(i, j);
    if (seg === "[]") out.push(EVERY);
    else if (seg !== "") out.push(seg);
    i = j + 1;
  }
  if (out.length === 0) {
    throw new RangeError(
      `Invalid path ${JSON.stringify(text)}: expected e.g. value.metrics.acc`,
    );
  }
  return out;
}

/**
 * Writes segments as a path: the inverse of {@linkcode parsePath}.
 *
 * @param segments Keys, and {@linkcode EVERY} for list elements.
 * @returns The written path.
 */
export function formatPath(segments: readonly Segment[]): string {
  let out = "";
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (i > 0) out += ".";
    out += s === EVERY ? "[]" : quoteKey(s);
  }
  return out;
}

/**
 * The canonical written form of a path (`value.a..b` → `value.a.b`,
 * `value."acc"` → `value.acc`), for comparing paths as written by users
 * with paths as recorded.
 *
 * @param text A written path.
 * @returns The same path in canonical form.
 * @throws {RangeError} As {@linkcode parsePath}.
 */
export function canonicalPath(text: string): string {
  return formatPath(parsePath(text));
}
