/**
 * Lexing JSON text in place, for the line-template compiler: the end of a
 * string, number or primitive at an index, and the RegExp sources that
 * accept exactly the valid JSON of each type.
 *
 * Self-contained (no imports, no state): the worker source includes these
 * functions and constants by their text (see `worker_source.ts`).
 *
 * @module
 * @internal
 */

/** A RegExp source accepting any valid JSON string. */
export const STRING_PATTERN = String
  .raw`"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"`;

/** A RegExp source accepting any valid JSON number. */
export const NUMBER_PATTERN = String
  .raw`-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?`;

/** A RegExp source accepting any JSON primitive. */
export const PRIMITIVE_PATTERN =
  `(?:${STRING_PATTERN}|${NUMBER_PATTERN}|true|false|null)`;

/**
 * Quotes text for a RegExp source (line terminators other than `\n` as
 * `\u` escapes, so the source stays one line).
 *
 * @param text Literal text.
 * @returns A RegExp source matching exactly that text.
 */
export function regexQuote(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&").replace(
    /[\t\r\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/**
 * Skips JSON white space within a line (space, tab, carriage return).
 *
 * @param s The text.
 * @param i Where to start.
 * @returns The index of the first other character.
 */
export function whitespaceEnd(s: string, i: number): number {
  let c = s.charCodeAt(i);
  while (c === 32 || c === 9 || c === 13) c = s.charCodeAt(++i);
  return i;
}

/**
 * Whether a character code is a hexadecimal digit.
 *
 * @param c A UTF-16 code unit.
 * @returns `true` for 0-9, a-f, A-F.
 */
export function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

/**
 * The end of the JSON string starting (at its quote) at `i`.
 *
 * @param s The text.
 * @param i The index of the opening quote.
 * @returns The index after the closing quote, or -1 when invalid.
 */
export function stringEnd(s: string, i: number): number {
  i++;
  while (true) {
    const c = s.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) {
      const d = s.charCodeAt(i + 1);
      if (d === 117) {
        if (
          !(isHexDigit(s.charCodeAt(i + 2)) &&
            isHexDigit(s.charCodeAt(i + 3)) &&
            isHexDigit(s.charCodeAt(i + 4)) && isHexDigit(s.charCodeAt(i + 5)))
        ) return -1;
        i += 6;
      } else if (
        d === 34 || d === 92 || d === 47 || d === 98 || d === 102 ||
        d === 110 || d === 114 || d === 116
      ) i += 2;
      else return -1;
    } else if (c < 32 || c !== c) return -1;
    else i++;
  }
}

/**
 * Whether the text between two indexes holds no backslash (a JSON string
 * written without escapes: its raw text is its value).
 *
 * @param s The text.
 * @param from The first index.
 * @param to The index after the last.
 * @returns `true` without a backslash.
 */
export function escapeFree(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (s.charCodeAt(k) === 92) return false;
  return true;
}

/**
 * The end of the JSON number starting at `i`.
 *
 * @param s The text.
 * @param i The index of its first character.
 * @returns The index after it, or -1 when invalid.
 */
export function numberEnd(s: string, i: number): number {
  let c = s.charCodeAt(i);
  if (c === 45) c = s.charCodeAt(++i);
  if (c === 48) c = s.charCodeAt(++i);
  else if (c >= 49 && c <= 57) {
    do c = s.charCodeAt(++i); while (c >= 48 && c <= 57);
  } else return -1;
  if (c === 46) {
    c = s.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) return -1;
    do c = s.charCodeAt(++i); while (c >= 48 && c <= 57);
  }
  if (c === 101 || c === 69) {
    c = s.charCodeAt(++i);
    if (c === 43 || c === 45) c = s.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) return -1;
    do c = s.charCodeAt(++i); while (c >= 48 && c <= 57);
  }
  return i;
}

/**
 * The end of the JSON primitive (string, number, true, false, null) at `i`.
 *
 * @param s The text.
 * @param i The index of its first character.
 * @returns The index after it, or -1 when invalid.
 */
export function primitiveEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 34) return stringEnd(s, i);
  if (c === 116) return s.startsWith("true", i) ? i + 4 : -1;
  if (c === 102) return s.startsWith("false", i) ? i + 5 : -1;
  if (c === 110) return s.startsWith("null", i) ? i + 4 : -1;
  return numberEnd(s, i);
}
