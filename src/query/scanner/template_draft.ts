/**
 * The pieces of the line-template compiler (see `template.ts`): a
 * {@linkcode TemplateDraft} holds one compilation's state (the line and the
 * RegExp source so far), and each function writes one JSON construct of
 * the line into it.
 *
 * Self-contained but for the functions and constants the worker source
 * also includes (see `worker_source.ts`).
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
  /** Whether the last {@linkcode draftNext} closed its container. */
  closed: boolean;
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
  return { s, segs, parts: [], groups: 0, num: 0, closed: false };
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
 * Copies an object key (its raw text [i, ke)) and its colon.
 *
 * @param d The draft.
 * @param i The index of the key's opening quote.
 * @param ke The index after its closing quote.
 * @returns The index of the member's value, or -1 without a colon.
 */
export function draftKey(d: TemplateDraft, i: number, ke: number): number {
  d.parts.push(regexQuote(d.s.slice(i, ke)));
  i = draftSpace(d, ke);
  if (d.s.charCodeAt(i) !== 58) return -1;
  d.parts.push(":");
  return draftSpace(d, i + 1);
}

/**
 * Copies what follows a member or element: a comma, or the container's
 * closing bracket (then `d.closed` is set).
 *
 * @param d The draft.
 * @param i The index after the member.
 * @param close `}` or `]` (as a character code).
 * @returns The index after the comma (and white space) or the bracket, or -1.
 */
export function draftNext(d: TemplateDraft, i: number, close: number): number {
  i = draftSpace(d, i);
  const c = d.s.charCodeAt(i);
  d.closed = c === close;
  if (c === 44) {
    d.parts.push(",");
    return draftSpace(d, i + 1);
  }
  if (c !== close) return -1;
  d.parts.push(close === 125 ? "\\}" : "\\]");
  return i + 1;
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
      if (ke < 0 || (i = draftKey(d, i, ke)) < 0) return -1;
    }
    i = draftValue(d, i, depth + 1, slots);
    if (i < 0 || (i = draftNext(d, i, close)) < 0) return -1;
    if (d.closed) return i;
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
    if ((i = draftKey(d, i, ke)) < 0) return -1;
    i = match
      ? draftTracked(d, i, k + 1, depth + 1)
      : draftValue(d, i, depth + 1, true);
    if (i < 0 || (i = draftNext(d, i, 125)) < 0) return -1;
    if (d.closed) return i;
  }
}
