/**
 * Line templates that capture every numeric leaf of a track value, for the
 * statistics of all paths of a run (`exprag show` of a run without
 * `run_end`). The line's keys, punctuation and white space stay literal as
 * in `template.ts`; inside the value each number becomes a captured number
 * slot and each string a captured string slot (a string may be "NaN",
 * "Infinity" or "-Infinity"), `true`/`false` a boolean slot and `null`
 * stays literal. Arrays keep their length.
 *
 * `SummaryBuilder.add` visits a parsed value's keys in `for…in` order:
 * JSON.parse's order but for integer-like keys, which come first, and a
 * duplicate key, which keeps its first place and its last value. Values
 * with such keys, or with escaped keys, make no template, so the leaves a
 * template captures come in the builder's order, at the paths it would
 * write (`childPath`, `listPath`).
 *
 * Main thread only (it uses `src/value_path.ts` and `toNumber`).
 *
 * @module
 * @internal
 */

import { toNumber } from "../../summary.ts";
import { childPath, listPath } from "../../value_path.ts";
import {
  escapeFree,
  NUMBER_PATTERN,
  numberEnd,
  primitiveEnd,
  STRING_PATTERN,
  stringEnd,
} from "./json_text.ts";
import { compileTemplate } from "./template.ts";
import {
  draftKey,
  draftNext,
  draftSpace,
  TEMPLATE_MAX_DEPTH,
  type TemplateDraft,
} from "./template_draft.ts";

/** A line shape whose captures are the numeric leaves of its value. */
export interface LeavesTemplate {
  /** Matches one whole line, its `\n` included. */
  re: RegExp;
  /** Group of the top-level run_id (0: the shape has none). */
  id: number;
  /** Group of elapsed_ms (0: the shape has none). */
  ms: number;
  /** The leaves' paths, in the builder's order. */
  paths: string[];
  /** Each leaf's group. */
  groups: number[];
  /** Whether each leaf is a string (numeric only as "NaN", "Infinity", …). */
  strings: boolean[];
}

/** A key JSON.parse's objects enumerate before the others: not templated. */
const INDEX_LIKE = /^(?:0|[1-9][0-9]*)$/;

/**
 * A value inside the track value, its leaves captured.
 *
 * @param d The draft.
 * @param i The index of the value.
 * @param path The value's path.
 * @param depth Its nesting depth.
 * @param out The template's leaves so far.
 * @returns The value's end, or -1 when the line makes no template.
 */
export function draftLeaves(
  d: TemplateDraft,
  i: number,
  path: string,
  depth: number,
  out: LeavesTemplate,
): number {
  const s = d.s;
  const c = s.charCodeAt(i);
  if (c === 34 || c === 45 || (c >= 48 && c <= 57)) {
    const e = c === 34 ? stringEnd(s, i) : numberEnd(s, i);
    if (e < 0) return -1;
    d.parts.push(c === 34 ? `(${STRING_PATTERN})` : `(${NUMBER_PATTERN})`);
    out.paths.push(path);
    out.groups.push(++d.groups);
    out.strings.push(c === 34);
    return e;
  }
  if (c !== 123 && c !== 91) {
    const e = primitiveEnd(s, i);
    if (e < 0) return -1;
    d.parts.push(c === 110 ? "null" : "(?:true|false)");
    return e;
  }
  if (depth > TEMPLATE_MAX_DEPTH) return -1;
  const close = c === 123 ? 125 : 93;
  d.parts.push(c === 123 ? "\\{" : "\\[");
  i = draftSpace(d, i + 1);
  if (s.charCodeAt(i) === close) {
    d.parts.push(c === 123 ? "\\}" : "\\]");
    return i + 1;
  }
  const keys = new Set<string>();
  while (true) {
    let p = listPath(path);
    if (c === 123) {
      if (s.charCodeAt(i) !== 34) return -1;
      const ke = stringEnd(s, i);
      if (ke < 0 || !escapeFree(s, i, ke)) return -1;
      const key = s.slice(i + 1, ke - 1);
      if (keys.has(key) || INDEX_LIKE.test(key)) return -1;
      keys.add(key);
      p = childPath(path, key);
      if ((i = draftKey(d, i, ke)) < 0) return -1;
    }
    i = draftLeaves(d, i, p, depth + 1, out);
    if (i < 0 || (i = draftNext(d, i, close)) < 0) return -1;
    if (d.closed) return i;
  }
}

/**
 * The template of a track line that JSON.parse accepted, capturing every
 * numeric leaf of its value.
 *
 * @param s The text holding the line.
 * @param ls The index where the line starts.
 * @param le The index of its `\n`.
 * @returns The template, or `null` when the line makes none.
 */
export function compileLeavesTemplate(
  s: string,
  ls: number,
  le: number,
): LeavesTemplate | null {
  const out: LeavesTemplate = {
    re: /$^/,
    id: 0,
    ms: 0,
    paths: [],
    groups: [],
    strings: [],
  };
  const t = compileTemplate(
    s,
    ls,
    le,
    [],
    (d, i) => draftLeaves(d, i, "value", 1, out),
  );
  if (t === null) return null;
  out.re = t.re;
  out.id = t.id;
  out.ms = t.ms;
  return out;
}

/**
 * The number a captured string leaf records, if any.
 *
 * @param raw The string's JSON text, quotes included.
 * @returns NaN or ±Infinity, or `undefined` for any other string.
 */
export function stringLeaf(raw: string): number | undefined {
  if (raw.length > 11 && !raw.includes("\\")) return undefined;
  return toNumber(raw.includes("\\") ? JSON.parse(raw) : raw.slice(1, -1));
}
