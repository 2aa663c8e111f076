/**
 * run_end's summary read on demand: a listing parses a run_end line without
 * its summary (the largest part of it: 200 metrics are ~30 KB) and keeps
 * only where the summary is in the file; `end.summary` re-reads it when
 * asked, and one path's statistics can be read without parsing the rest.
 * So the memory of a listing does not grow with the metrics of its runs.
 *
 * @module
 * @internal
 */

import type { PathStats } from "../summary.ts";
import { MAX_READ_DEPTH, openRead, tooDeep } from "./reader.ts";
import type { ExpragRecord, RunEnd } from "./types.ts";

/** What stands for the summary in the parsed rest of the line. */
const SENTINEL = "\u0000exprag:summary-in-file\u0000";

const KEY = '"summary":';
const NOT_PLAIN = /[^\x21-\x7e]|\\/;
const AFTER = ',"summary_truncated":';

/** Where a run_end line is in its file. */
export interface LineLocation {
  /** The run file. */
  file: string;
  /** Byte offset where the line starts. */
  offset: number;
  /** The line's length in bytes (without `\n`). */
  bytes: number;
  /** Whether the file was written by exprag for Deno (its summary layout). */
  deno: boolean;
}

interface Located extends LineLocation {
  /** Character offsets of the summary in the decoded line. */
  from: number;
  to: number;
}

/**
 * Where a lazily parsed run_end's summary is, as a hidden property of its
 * value (not a WeakMap: an entry per run read would stay until a full GC).
 */
const LOCATED = Symbol("exprag.summaryAt");

/**
 * Splits a run_end line into its summary's text and the rest. The summary
 * is the text from `"summary":` to the `,"summary_truncated":` after it (the
 * tracker's key order); the split is kept only when the rest parses with
 * the sentinel at `value.summary` and the summary text is one JSON object
 * (an object ends at its matching brace only, so the split is exact).
 *
 * @returns The character span of the summary, or `undefined` (then parse
 *   the whole line).
 */
function summarySpan(text: string): { from: number; to: number } | undefined {
  const k = text.indexOf(KEY);
  if (k < 0 || text.charCodeAt(k + KEY.length) !== 123) return undefined; // {
  const from = k + KEY.length;
  const a = text.indexOf(AFTER, from);
  if (a < 0 || text.charCodeAt(a - 1) !== 125) return undefined; // }
  return { from, to: a };
}

/**
 * Parses a run_end line, leaving its summary in the file: the returned
 * record's `value.summary` is read from the file when first asked for
 * (each time; nothing is kept). Lines this cannot split are parsed whole.
 *
 * @param text The line's text.
 * @param at Where the line is.
 * @returns The record, or `undefined` when the split does not hold (the
 *   caller parses the line whole).
 */
export function parseRunEndLazily(
  text: string,
  at: LineLocation,
): ExpragRecord | undefined {
  const split = splitRunEnd(text);
  if (split === undefined) return undefined;
  const { rec: r, span } = split;
  const parsed = r.value as Record<string, unknown>;
  const loc: Located = { ...at, ...span };
  // a new object, its properties added in order, with the one accessor
  // every run shares: an accessor defined over the parsed field turned
  // each value into a dictionary, which V8 promoted into the old
  // generation (~100 MiB of garbage over an export of 100,000 runs,
  // freed only by a full GC); this one keeps fast properties and one
  // hidden class for all runs
  const value: Record<string, unknown> = {};
  for (const k of Object.keys(parsed)) {
    if (k === "summary") Object.defineProperty(value, k, SUMMARY_ACCESSOR);
    else if (k === "__proto__") setData(value, k, parsed[k]);
    else value[k] = parsed[k];
  }
  Object.defineProperty(value, LOCATED, { value: loc });
  r.value = value;
  lastLoc = loc; // its summary is usually asked for next
  lastLine = text;
  return r;
}

/** The accessor of a lazily read `summary`, the same for every run_end. */
const SUMMARY_ACCESSOR: PropertyDescriptor = {
  get(this: { [LOCATED]?: Located }) {
    const loc = this[LOCATED];
    return loc === undefined ? undefined : readSummary(loc);
  },
  set(this: object, v: unknown) {
    setData(this, "summary", v);
  },
  enumerable: true,
  configurable: true,
};

/**
 * Parses a run_end line without its summary, for a reader that needs only
 * the other fields (a listing: its runs keep `end` in the file): the
 * record's `value.summary` is absent. Lines this cannot split are parsed
 * whole by the caller, as for {@linkcode parseRunEndLazily}; nothing is
 * kept, so that a listing of many runs leaves no garbage behind each one.
 *
 * @param text The line's text.
 * @returns The record, or `undefined` (then parse the whole line).
 */
export function parseRunEndWithoutSummary(
  text: string,
): ExpragRecord | undefined {
  const split = splitRunEnd(text);
  if (split === undefined) return undefined;
  delete (split.rec.value as Record<string, unknown>).summary;
  return split.rec;
}

/**
 * A run_end line parsed with the sentinel for its summary, and where the
 * summary is, when the split holds (see {@linkcode summarySpan}).
 */
function splitRunEnd(
  text: string,
): { rec: ExpragRecord; span: { from: number; to: number } } | undefined {
  if (text.length < 256) return undefined; // not worth it
  const span = summarySpan(text);
  if (span === undefined) return undefined;
  const rest = text.slice(0, span.from) + JSON.stringify(SENTINEL) +
    text.slice(span.to);
  // depth: the rest's, and the summary's at most its opening brackets
  // after its own two levels (else the whole line is checked and parsed)
  if (tooDeep(rest) || openings(text, span) > MAX_READ_DEPTH - 3) {
    return undefined;
  }
  let rec: unknown;
  try {
    rec = JSON.parse(rest);
  } catch {
    return undefined;
  }
  if (rec === null || typeof rec !== "object" || Array.isArray(rec)) {
    return undefined;
  }
  const r = rec as ExpragRecord;
  const value = r.value as Record<string, unknown> | null;
  if (
    r.kind !== "run_end" || value === null || typeof value !== "object" ||
    Array.isArray(value) || value.summary !== SENTINEL
  ) return undefined;
  return { rec: r, span };
}

/** How many `{` and `[` a span of a text holds (an upper bound of its depth). */
function openings(text: string, span: { from: number; to: number }): number {
  let n = 0;
  for (const c of ["{", "["]) {
    let i = text.indexOf(c, span.from);
    while (i >= 0 && i < span.to) {
      n++;
      i = text.indexOf(c, i + 1);
    }
  }
  return n;
}

/** The line parsed last, kept for its summary (one line, not one per run). */
let lastLoc: Located | undefined;
let lastLine = "";

/**
 * Replaces a property read from the file by a plain value (what assigning
 * to it does).
 *
 * @param o The object.
 * @param key The property.
 * @param v The value.
 */
export function setData(o: object, key: string, v: unknown): void {
  Object.defineProperty(o, key, {
    value: v,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/** The decoded line at a location, or `undefined` when it cannot be read. */
function readLine(at: LineLocation): string | undefined {
  let f: Deno.FsFile;
  try {
    f = openRead(at.file);
  } catch {
    return undefined;
  }
  try {
    const buf = new Uint8Array(at.bytes);
    f.seekSync(at.offset, Deno.SeekMode.Start);
    let got = 0;
    while (got < buf.length) {
      const n = f.readSync(buf.subarray(got));
      if (n === null || n === 0) return undefined;
      got += n;
    }
    let s = new TextDecoder().decode(buf);
    if (at.offset === 0 && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    if (s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
    return s;
  } catch {
    return undefined;
  } finally {
    f.close();
  }
}

/** The summary's text, re-read from the file (checked to be where it was). */
function summaryText(loc: Located): string | undefined {
  const line = loc === lastLoc ? lastLine : readLine(loc);
  if (line === undefined) return undefined;
  const span = summarySpan(line);
  if (span === undefined || span.from !== loc.from || span.to !== loc.to) {
    return undefined; // not the line that was listed
  }
  return line.slice(span.from, span.to);
}

/** The whole summary, parsed from the file. */
function readSummary(loc: Located): Record<string, PathStats> | undefined {
  const text = summaryText(loc);
  if (text === undefined) return undefined;
  try {
    const s = JSON.parse(text);
    return s !== null && typeof s === "object" && !Array.isArray(s)
      ? s
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One path's statistics from a summary still in its file, without parsing
 * the others: its key (`"<key>":{`) is found in the text, once, and its
 * flat statistics object parsed. Only for summaries written by exprag for
 * Deno (whose statistics hold no nested objects and no duplicate keys).
 *
 * @param end The run_end value of a listed run.
 * @param key The canonical summary key.
 * @returns The statistics; `null` when the summary has no such path;
 *   `undefined` when this cannot tell (then read `end.summary`).
 */
export function summaryStatsAt(
  end: RunEnd,
  key: string,
): PathStats | null | undefined {
  const loc = (end as { [LOCATED]?: Located })[LOCATED];
  if (loc === undefined || !loc.deno) return undefined;
  if (Object.getOwnPropertyDescriptor(end, "summary")?.get === undefined) {
    return undefined; // replaced by a value
  }
  const text = summaryText(loc);
  if (text === undefined) return undefined;
  return statsInSummaryText(text, key);
}

/**
 * {@linkcode summaryStatsAt} from a run_end line's text, nothing parsed
 * but the line's small rest and the path's statistics; with the
 * summary's `summary_truncated`. For a listed run whose end is still in
 * its file (one read of the line, no record kept).
 *
 * @param text The run_end line's text (written by exprag for Deno).
 * @param key The canonical summary key.
 * @returns The statistics (`null`: the summary has no such path) and
 *   whether the summary is truncated; `undefined` when this cannot tell
 *   (then read the run's `end`).
 */
export function summaryStatsInLine(
  text: string,
  key: string,
): { stats: PathStats | null; truncated: boolean } | undefined {
  const split = splitRunEnd(text);
  if (split === undefined) return undefined;
  const stats = statsInSummaryText(
    text.slice(split.span.from, split.span.to),
    key,
  );
  if (stats === undefined) return undefined;
  const value = split.rec.value as Record<string, unknown>;
  return { stats, truncated: value.summary_truncated === true };
}

/** One path's flat statistics object found in a summary's text (see {@linkcode summaryStatsAt}). */
function statsInSummaryText(
  text: string,
  key: string,
): PathStats | null | undefined {
  const needle = JSON.stringify(key) + ":{";
  const i = text.indexOf(needle);
  // absent: exact when every key is canonical as written (no space, escape
  // or non-ASCII character, which a summary of exprag 0.1.0 may hold bare)
  if (i < 0) return NOT_PLAIN.test(text) ? undefined : null;
  const c = text.charCodeAt(i - 1);
  if (c !== 123 && c !== 44) return undefined; // after `{` or `,`
  const from = i + needle.length - 1;
  const to = text.indexOf("}", from);
  if (to < 0 || text.indexOf(needle, to) >= 0) return undefined;
  try {
    const st = JSON.parse(text.slice(from, to + 1));
    return st !== null && typeof st === "object" && !Array.isArray(st)
      ? st as PathStats
      : undefined;
  } catch {
    return undefined;
  }
}
