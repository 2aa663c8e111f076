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
 * Each compilation keeps its state in its own draft (`template_draft.ts`):
 * nothing is shared between calls. Self-contained but for the functions
 * and constants the worker source also includes (see `worker_source.ts`).
 *
 * @module
 * @internal
 */

import type { Segment } from "../../value_path.ts";
import {
  escapeFree,
  NUMBER_PATTERN,
  numberEnd,
  stringEnd,
} from "./json_text.ts";
import {
  createDraft,
  draftKey,
  draftNext,
  draftSpace,
  draftTracked,
  draftValue,
  type TemplateDraft,
} from "./template_draft.ts";

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
 * Writes the track value at `i` into a draft; returns its end, or -1 when
 * the line makes no template.
 */
export type ValueDrafter = (d: TemplateDraft, i: number) => number;

/**
 * One top-level member's value (the key is written already).
 *
 * @param d The draft.
 * @param i The index of the value.
 * @param key The member's key (raw text, escape-free).
 * @param value How the track value is written (default: the path's leaf
 *   captured, see `draftTracked`).
 * @returns The value's end (-1: no template) and which key it was.
 */
export function draftTopMember(
  d: TemplateDraft,
  i: number,
  key: string,
  value?: ValueDrafter,
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
    const end = value === undefined ? draftTracked(d, i, 0, 1) : value(d, i);
    return { end, which: TOP_VALUE };
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
 * @param value How the track value is written (default: the path's leaf).
 * @returns The template, or `null` when the line makes none.
 */
export function compileTemplate(
  s: string,
  ls: number,
  le: number,
  segs: readonly Segment[],
  value?: ValueDrafter,
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
    if ((i = draftKey(d, i, ke)) < 0) return null;
    const m = draftTopMember(d, i, key, value);
    if (m.end < 0 || (seen & m.which) !== 0) return null;
    seen |= m.which;
    if (m.which === TOP_ELAPSED) msG = d.groups;
    else if (m.which === TOP_RUN_ID) idG = d.groups;
    if ((i = draftNext(d, m.end, 125)) < 0) return null;
    if (d.closed) {
      i = draftSpace(d, i);
      break;
    }
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
