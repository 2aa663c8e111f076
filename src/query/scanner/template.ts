/**
 * The line-template compiler. Run files repeat one record shape thousands
 * of times; only the values change. After the exact path (JSON.parse +
 * walk) has accepted a track line, {@linkcode compileTemplate} turns that
 * line into a sticky RegExp that matches exactly the lines with the same
 * token structure: the same keys (raw text), punctuation and white space,
 * with each primitive value outside the path replaced by a slot of its own
 * JSON type (any number, any valid string, true|false, any compact array of
 * primitives), `kind` fixed to "track", `schema_version` fixed, `run_id` and
 * `elapsed_ms` (when a number) captured, and the path's leaf captured as a
 * number or "NaN"/"Infinity"/"-Infinity".
 *
 * Every slot accepts only valid JSON of its type, so a matching line is
 * valid JSON with the template line's structure: JSON.parse + walk would
 * find the same leaf at the same place (duplicate keys, escaped keys, lists
 * on the path and deep nesting make no template), and reading it needs no
 * parse and no allocation but the captures.
 *
 * Each compilation keeps its state in its own {@linkcode TemplateDraft}:
 * nothing is shared between calls. Self-contained but for the functions
 * and constants the worker source also includes (see `worker_source.ts`).
 *
 * @module
 * @internal
 */

import { EVERY, type Segment } from "../../value_path.ts";
import {
  escapeFree,
  NUMBER_PATTERN,
  numberEnd,
  PRIMITIVE_PATTERN,
  primitiveEnd,
  regexQuote,
  STRING_PATTERN,
  stringEnd,
  whitespaceEnd,
} from "./json_text.ts";

/** Deeper nesting makes no template. */
export const TEMPLATE_MAX_DEPTH = 64;

/** Longer lines (in UTF-16 code units) make no template. */
export const TEMPLATE_MAX_LINE = 1 << 16;

/** Longer RegExp sources are not compiled. */
export const TEMPLATE_MAX_SOURCE = 4 * TEMPLATE_MAX_LINE;

/** A line shape: a sticky RegExp and the groups it captures. */
export interface LineTemplate {
  /** Matches one whole line, its `\n` included. */
  re: RegExp;
  /** Group of the top-level run_id (0: the shape has none). */
  id: number;
  /** Group of elapsed_ms (0: the shape has none; a number when it has). */
  ms: number;
  /** Group of the leaf as a number; the next one holds "NaN" etc. (0: no leaf). */
  num: number;
}

/** One template being written: the line read and the RegExp so far. */
export interface TemplateDraft {
  /** The text holding the line. */
  s: string;
  /** The path's segments below `value`. */
  segs: readonly Segment[];
  /** RegExp source pieces. */
  parts: string[];
  /** Capturing groups so far. */
  groups: number;
  /** The leaf's group (0: none yet). */
  num: number;
}

/**
 * Starts a draft.
 *
 * @param s The text holding the line.
 * @param segs The path's segments below `value`.
 * @returns A fresh draft.
 */
export function createDraft(
  s: string,
  segs: readonly Segment[],
): TemplateDraft {
  return { s, segs, parts: [], groups: 0, num: 0 };
}

/**
 * Copies the white space at `i` into the draft.
 *
 * @param d The draft.
 * @param i Where the white space starts.
 * @returns Its end.
 */
export function draftSpace(d: TemplateDraft, i: number): number {
  const e = whitespaceEnd(d.s, i);
  if (e > i) d.parts.push(regexQuote(d.s.slice(i, e)));
  return e;
}

/**
 * A compact array of primitives (one separator throughout) becomes a slot
 * for any such array.
 *
 * @param d The draft.
 * @param i The index of `[`.
 * @returns The array's end, or -1 (nothing written) when it is not one.
 */
export function draftFlatArray(d: TemplateDraft, i: number): number {
  const s = d.s;
  let j = i + 1;
  let sep: string | undefined;
  if (s.charCodeAt(j) !== 93) {
    while (true) {
      const e = primitiveEnd(s, j);
      if (e < 0) return -1;
      if (s.charCodeAt(e) === 93) {
        j = e;
        break;
      }
      const after = whitespaceEnd(s, whitespaceEnd(s, e) + 1);
      const sp = s.slice(e, after);
      if (s.charCodeAt(whitespaceEnd(s, e)) !== 44 || (sep ??= sp) !== sp) {
        return -1;
      }
      j = after;
    }
  }
  const q = regexQuote(sep ?? ",");
  d.parts.push(`\\[(?:${PRIMITIVE_PATTERN}(?:${q}${PRIMITIVE_PATTERN})*)?\\]`);
  return j + 1;
}

/**
 * A value off the path: containers keep their structure and keys,
 * primitives become slots of their type (`slots`) or stay literal.
 *
 * @param d The draft.
 * @param i The index of the value.
 * @param depth Its nesting depth.
 * @param slots Whether primitives become slots.
 * @returns The value's end, or -1.
 */
export function draftValue(
  d: TemplateDraft,
  i: number,
  depth: number,
  slots: boolean,
): number {
  const s = d.s;
  const c = s.charCodeAt(i);
  if (c !== 123 && c !== 91) {
    const e = primitiveEnd(s, i);
    if (e < 0) return -1;
    if (!slots || c === 110) d.parts.push(regexQuote(s.slice(i, e)));
    else if (c === 34) d.parts.push(STRING_PATTERN);
    else if (c === 116 || c === 102) d.parts.push("(?:true|false)");
    else d.parts.push(NUMBER_PATTERN);
    return e;
  }
  if (depth > TEMPLATE_MAX_DEPTH) return -1;
  if (c === 91 && slots) {
    const e = draftFlatArray(d, i);
    if (e >= 0) return e;
  }
  const close = c === 123 ? 125 : 93;
  const closeRe = c === 123 ? "\\}" : "\\]";
  d.parts.push(c === 123 ? "\\{" : "\\[");
  i = draftSpace(d, i + 1);
  if (s.charCodeAt(i) === close) {
    d.parts.push(closeRe);
    return i + 1;
  }
  while (true) {
    if (c === 123) {
      if (s.charCodeAt(i) !== 34) return -1;
      const ke = stringEnd(s, i);
      if (ke < 0) return -1;
      d.parts.push(regexQuote(s.slice(i, ke)));
      i = draftSpace(d, ke);
      if (s.charCodeAt(i) !== 58) return -1;
      d.parts.push(":");
      i = draftSpace(d, i + 1);
    }
    i = draftValue(d, i, depth + 1, slots);
    if (i < 0) return -1;
    i = draftSpace(d, i);
    const e = s.charCodeAt(i);
    if (e === 44) {
      d.parts.push(",");
      i = draftSpace(d, i + 1);
    } else if (e === close) {
      d.parts.push(closeRe);
      return i + 1;
    } else return -1;
  }
}

/**
 * The leaf at the end of the path: a number or "NaN"/"Infinity"/
 * "-Infinity" becomes a capture (else no template).
 *
 * @param d The draft.
 * @param i The index of the leaf.
 * @returns Its end, or -1.
 */
export function draftLeaf(d: TemplateDraft, i: number): number {
  const s = d.s;
  let e: number;
  if (s.charCodeAt(i) === 34) {
    e = stringEnd(s, i);
    if (e < 0 || !escapeFree(s, i, e)) return -1;
    const t = s.slice(i + 1, e - 1);
    if (t !== "NaN" && t !== "Infinity" && t !== "-Infinity") return -1;
  } else {
    e = numberEnd(s, i);
    if (e < 0) return -1;
  }
  if (d.num !== 0) return -1;
  d.num = ++d.groups;
  d.groups++;
  d.parts.push(`(?:(${NUMBER_PATTERN})|"(NaN|Infinity|-Infinity)")`);
  return e;
}

/**
 * A value on the path at segment `k`.
 *
 * @param d The draft.
 * @param i The index of the value.
 * @param k The segment the value stands at.
 * @param depth Its nesting depth.
 * @returns The value's end, or -1 when no template can be made.
 */
export function draftTracked(
  d: TemplateDraft,
  i: number,
  k: number,
  depth: number,
): number {
  if (k === d.segs.length) return draftLeaf(d, i);
  const s = d.s;
  const c = s.charCodeAt(i);
  const seg = d.segs[k];
  if (c === 91 && seg === EVERY) return -1; // several leaves per record
  if (c !== 123) return draftValue(d, i, depth, true);
  if (depth > TEMPLATE_MAX_DEPTH) return -1;
  d.parts.push("\\{");
  i = draftSpace(d, i + 1);
  if (s.charCodeAt(i) === 125) {
    d.parts.push("\\}");
    return i + 1;
  }
  let seen = false;
  while (true) {
    if (s.charCodeAt(i) !== 34) return -1;
    const ke = stringEnd(s, i);
    // an escaped key might be the segment
    if (ke < 0 || !escapeFree(s, i, ke)) return -1;
    const match = seg !== EVERY && s.slice(i + 1, ke - 1) === seg;
    if (match) {
      if (seen) return -1; // a duplicate: JSON.parse keeps the last
      seen = true;
    }
    d.parts.push(regexQuote(s.slice(i, ke)));
    i = draftSpace(d, ke);
    if (s.charCodeAt(i) !== 58) return -1;
    d.parts.push(":");
    i = draftSpace(d, i + 1);
    i = match
      ? draftTracked(d, i, k + 1, depth + 1)
      : draftValue(d, i, depth + 1, true);
    if (i < 0) return -1;
    i = draftSpace(d, i);
    const e = s.charCodeAt(i);
    if (e === 44) {
      d.parts.push(",");
      i = draftSpace(d, i + 1);
    } else if (e === 125) {
      d.parts.push("\\}");
      return i + 1;
    } else return -1;
  }
}

/** The top-level key `kind` (a bit of {@linkcode TopMember.which}). */
export const TOP_KIND = 1;
/** The top-level key `elapsed_ms`. */
export const TOP_ELAPSED = 2;
/** The top-level key `value`. */
export const TOP_VALUE = 4;
/** The top-level key `run_id`. */
export const TOP_RUN_ID = 8;

/** What a top-level member wrote. */
export interface TopMember {
  /** The member's end, or -1 when the line makes no template. */
  end: number;
  /** Which key it was: a `TOP_` constant, or 0 for another key. */
  which: number;
}

/**
 * One top-level member's value (the key is written already).
 *
 * @param d The draft.
 * @param i The index of the value.
 * @param key The member's key (raw text, escape-free).
 * @returns The value's end (-1: no template) and which key it was.
 */
export function draftTopMember(
  d: TemplateDraft,
  i: number,
  key: string,
): TopMember {
  const s = d.s;
  if (key === "kind") {
    d.parts.push('"track"');
    return { end: s.startsWith('"track"', i) ? i + 7 : -1, which: TOP_KIND };
  }
  if (key === "elapsed_ms") {
    d.groups++;
    d.parts.push(`(${NUMBER_PATTERN})`);
    return { end: numberEnd(s, i), which: TOP_ELAPSED };
  }
  if (key === "value") {
    return { end: draftTracked(d, i, 0, 1), which: TOP_VALUE };
  }
  if (key === "run_id") {
    const e = s.charCodeAt(i) === 34 ? stringEnd(s, i) : -1;
    if (e < 0 || !escapeFree(s, i, e)) return { end: -1, which: TOP_RUN_ID };
    d.groups++;
    d.parts.push(String.raw`"([^"\\\x00-\x1f]*)"`);
    return { end: e, which: TOP_RUN_ID };
  }
  return { end: draftValue(d, i, 1, key !== "schema_version"), which: 0 };
}

/**
 * The template of a track line that the exact path accepted.
 *
 * @param s The text holding the line.
 * @param ls The index where the line starts.
 * @param le The index of its `\n`.
 * @param segs The path's segments below `value` (no {@linkcode EVERY}).
 * @returns The template, or `null` when the line makes none.
 */
export function compileTemplate(
  s: string,
  ls: number,
  le: number,
  segs: readonly Segment[],
): LineTemplate | null {
  if (le - ls > TEMPLATE_MAX_LINE) return null;
  const d = createDraft(s, segs);
  let idG = 0, msG = 0, seen = 0;
  let i = draftSpace(d, ls);
  if (s.charCodeAt(i) !== 123) return null;
  d.parts.push("\\{");
  i = draftSpace(d, i + 1);
  while (true) {
    if (s.charCodeAt(i) !== 34) return null;
    const ke = stringEnd(s, i);
    if (ke < 0 || !escapeFree(s, i, ke)) return null;
    const key = s.slice(i + 1, ke - 1);
    d.parts.push(regexQuote(s.slice(i, ke)));
    i = draftSpace(d, ke);
    if (s.charCodeAt(i) !== 58) return null;
    d.parts.push(":");
    i = draftSpace(d, i + 1);
    const m = draftTopMember(d, i, key);
    if (m.end < 0 || (seen & m.which) !== 0) return null;
    seen |= m.which;
    if (m.which === TOP_ELAPSED) msG = d.groups;
    else if (m.which === TOP_RUN_ID) idG = d.groups;
    i = draftSpace(d, m.end);
    const c = s.charCodeAt(i);
    if (c === 44) {
      d.parts.push(",");
      i = draftSpace(d, i + 1);
    } else if (c === 125) {
      d.parts.push("\\}");
      i = draftSpace(d, i + 1);
      break;
    } else return null;
  }
  if (i !== le || (seen & TOP_KIND) === 0) return null; // kind "track"
  d.parts.push("\\n");
  const source = d.parts.join("");
  if (source.length > TEMPLATE_MAX_SOURCE) return null;
  try {
    return { re: new RegExp(source, "y"), id: idG, ms: msG, num: d.num };
  } catch {
    return null;
  }
}
