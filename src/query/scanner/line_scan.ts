/**
 * The scan of whole lines of one run file (decoded texts of whole lines,
 * fed in file order): each line is read by a template when one matches,
 * else the exact way (JSON.parse + walk), and lines without the path's
 * last key are skipped while that pays.
 *
 * The state of one file's scan lives in its {@linkcode LineScan}; the
 * functions here are self-contained but for what the worker source also
 * includes (see `worker_source.ts`).
 *
 * @module
 * @internal
 */

import type { LeafSink } from "./leaf_stats.ts";
import type { ScanTarget } from "./target.ts";
import type { TemplateSet } from "./template_set.ts";
import { walkLeaves } from "./walker.ts";

/** Lines holding the needle read before skipping is judged… */
export const NEEDLE_SAMPLE_LINES = 256;

/**
 * …and given up for the file when fewer than one line in this many was
 * skipped (nearly every line holds the key: filtering only costs time).
 */
export const NEEDLE_LINES_PER_SKIP = 8;

/** The state of one file's scan. */
export interface LineScan {
  /** The path looked for. */
  target: ScanTarget;
  /** The path's templates (`undefined`: none for paths through lists). */
  templates: TemplateSet | undefined;
  /** Where the numbers go. */
  sink: LeafSink;
  /** Stop at the first numeric leaf. */
  firstOnly: boolean;
  /** Set when `firstOnly` found its leaf. */
  done: boolean;
  /** The run id of the file's first line. */
  runId: string | undefined;
  /** Whether lines without the needle are still skipped. */
  useNeedle: boolean;
  /** Lines with the needle read, and lines skipped, since the last judgement. */
  matched: number;
  skipped: number;
}

/**
 * Starts the scan of one file.
 *
 * @param target The path.
 * @param templates Its templates, if any.
 * @param sink Where the numbers go.
 * @param firstOnly Stop at the first numeric leaf.
 * @returns The scan's state.
 */
export function createLineScan(
  target: ScanTarget,
  templates: TemplateSet | undefined,
  sink: LeafSink,
  firstOnly: boolean,
): LineScan {
  return {
    target,
    templates,
    sink,
    firstOnly,
    done: false,
    runId: undefined,
    useNeedle: target.needle !== undefined,
    matched: 0,
    skipped: 0,
  };
}

/**
 * Parses one line.
 *
 * @param s The line.
 * @returns The object, `null` for a blank line, `undefined` when invalid.
 */
export function parseLine(
  s: string,
): Record<string, unknown> | null | undefined {
  let rec: unknown;
  try {
    rec = JSON.parse(s);
  } catch {
    return s.trim() === "" ? null : undefined;
  }
  if (rec === null || typeof rec !== "object" || Array.isArray(rec)) {
    return undefined;
  }
  return rec as Record<string, unknown>;
}

/**
 * Reads the line [ls, le) the exact way and, for a track line, learns its
 * shape.
 *
 * @param st The scan.
 * @param text The text holding the line.
 * @param ls Where the line starts.
 * @param le Where it ends (its `\n`, or the text's end).
 * @param learn Whether the line may become a template.
 * @returns `false` when the line is invalid or of another run.
 */
export function readExact(
  st: LineScan,
  text: string,
  ls: number,
  le: number,
  learn: boolean,
): boolean {
  const r = parseLine(text.slice(ls, le));
  if (r === undefined) return false;
  if (r === null) return true;
  const id = st.runId;
  if (id !== undefined && r.run_id !== undefined && r.run_id !== id) {
    return false;
  }
  if (r.kind !== "track") return true;
  const ms = typeof r.elapsed_ms === "number" ? r.elapsed_ms : 0;
  if (walkLeaves(r.value, st.target.segs, 0, ms, st.sink) && st.firstOnly) {
    st.done = true;
  }
  if (learn && st.templates !== undefined) st.templates.learn(text, ls, le);
  return true;
}

/**
 * Reads the first text of a file: skips a BOM and notes the run id of
 * its first line (a record of another run inside the file sends the file
 * to the reporting reader).
 *
 * @param st The scan.
 * @param text The file's first text.
 * @returns Where its lines start.
 */
export function startText(st: LineScan, text: string): number {
  const pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  st.runId = firstRunId(text, pos);
  return pos;
}

/**
 * The run id of a file's first line (a record of another run inside the
 * file sends the file to the reporting reader).
 *
 * @param text The file's first text.
 * @param pos Where its first line starts (after a BOM).
 * @returns The id written without escapes, or `undefined`.
 */
export function firstRunId(text: string, pos: number): string | undefined {
  // the top-level run_id precedes the value in both writers' key orders; a
  // nested one found first only sends the file to the exact reader
  const m = /"run_id":\s*"([^"\\]*)"/.exec(
    text.slice(pos, text.indexOf("\n", pos)),
  );
  return m === null ? undefined : m[1];
}

/**
 * Reads the lines from `pos` that hold the needle, skipping the others,
 * until the text ends or skipping stops paying.
 *
 * @param st The scan.
 * @param text Whole lines.
 * @param pos Where to start.
 * @returns Where to go on (the text's length when read), or -1 when a line
 *   is invalid.
 */
export function readNeedleLines(
  st: LineScan,
  text: string,
  pos: number,
): number {
  const needle = st.target.needle!;
  const ts = st.templates;
  while (!st.done) {
    const k = text.indexOf(needle, pos);
    if (k === -1) return text.length;
    let ls = pos; // the start of k's line
    while (true) {
      const nl = text.indexOf("\n", ls);
      if (nl >= k) break;
      ls = nl + 1;
      st.skipped++;
    }
    const le = text.indexOf("\n", k);
    if (
      ts === undefined || !ts.useful() ||
      ts.read(text, ls, st.runId, st.sink) < 0
    ) {
      if (!readExact(st, text, ls, le, true)) return -1;
    } else if (st.firstOnly && st.sink.count > 0) st.done = true;
    pos = le + 1;
    if (++st.matched === NEEDLE_SAMPLE_LINES) {
      if (st.skipped * NEEDLE_LINES_PER_SKIP < st.matched) {
        st.useNeedle = false;
        return pos;
      }
      st.matched = st.skipped = 0;
    }
  }
  return pos;
}

/**
 * Reads every line of a text from `pos`.
 *
 * @param st The scan.
 * @param text Whole lines, each ending with `\n`.
 * @param pos Where to start.
 * @returns `false` when a line is invalid.
 */
export function readText(st: LineScan, text: string, pos: number): boolean {
  // a key written with \u escapes (or \/ for a "/") has other bytes than
  // its needle: no skipping lines then
  if (
    st.useNeedle && !text.includes("\\u") &&
    !(st.target.needle!.includes("/") && text.includes("\\/"))
  ) {
    pos = readNeedleLines(st, text, pos);
    if (pos < 0) return false;
  }
  const ts = st.templates;
  while (!st.done && pos < text.length) {
    if (ts !== undefined && ts.useful()) {
      const te = ts.read(text, pos, st.runId, st.sink);
      if (te >= 0) {
        if (st.firstOnly && st.sink.count > 0) st.done = true;
        pos = te;
        continue;
      }
    }
    const le = text.indexOf("\n", pos);
    if (!readExact(st, text, pos, le, true)) return false;
    pos = le + 1;
  }
  return true;
}
