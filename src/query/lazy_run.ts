/**
 * A listed run's run_start and run_end values left in its file: a listing
 * keeps, per run, the fields it computed (status, times, counts) and where
 * the two lines are; `run.start` (with `git`, `metadata`, `host`,
 * `process`) and `run.end` re-read them when asked. So the memory of a
 * listing of 100,000 runs does not hold 100,000 parsed records. The last
 * run read is kept, so that a row's several fields cost one read.
 *
 * @module
 * @internal
 */

import type { GitState } from "../record.ts";
import {
  type LineLocation,
  parseRunEndLazily,
  setData,
  summaryStatsInLine,
} from "./lazy_summary.ts";
import { openRead, parseLine } from "./reader.ts";
import type { PathStats } from "../summary.ts";
import type { RunEnd, RunInfo } from "./types.ts";

/** A first line longer than this stays parsed in memory (re-reading it would cost more). */
const KEEP_START_BYTES = 16 * 1024;

/** Byte offset of the run's run_end line (-1: none), as a hidden property. */
const END_AT = Symbol("exprag.endAt");
/** Its length in bytes. */
const END_BYTES = Symbol("exprag.endBytes");

/** Two numbers per run, no object: a listing of 100,000 runs stays small. */
type Listed = RunInfo & { [END_AT]?: number; [END_BYTES]?: number };

/** The run_start values kept in memory (long first lines only). */
const keptStarts = new WeakMap<Listed, Record<string, unknown>>();

function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? v as Record<string, unknown>
    : null;
}

let lastStartOf: Listed | undefined;
let lastStart: Record<string, unknown> = {};
let lastEndOf: Listed | undefined;
let lastEnd: RunEnd | null = null;

/**
 * The buffer of {@linkcode readBytes}, reused: a listing of 100,000 runs
 * reads their lines again, and a new buffer per read is external memory
 * that only a garbage collection frees (tens of MiB meanwhile).
 */
let shared = new Uint8Array(64 * 1024);
/** The longest buffer kept for reuse (a longer line gets its own). */
const KEEP_BUFFER = 1 << 20;

/** A buffer of `length` bytes holding the first `keep` bytes of `old`. */
function bufferOf(length: number, old: Uint8Array, keep: number): Uint8Array {
  if (length <= shared.length) return shared.subarray(0, length);
  const b = new Uint8Array(length);
  b.set(old.subarray(0, keep));
  if (length <= KEEP_BUFFER) shared = b;
  return b;
}

/**
 * Reads `bytes` bytes at `offset` of a file, or the first line when `bytes`
 * is undefined. The result may be a view of a reused buffer: valid until
 * the next call.
 */
function readBytes(
  file: string,
  offset: number,
  bytes: number | undefined,
): Uint8Array | undefined {
  let f: Deno.FsFile;
  try {
    f = openRead(file);
  } catch {
    return undefined;
  }
  try {
    f.seekSync(offset, Deno.SeekMode.Start);
    let buf = bufferOf(bytes ?? 4096, shared, 0);
    let got = 0;
    while (true) {
      if (got === buf.length) {
        if (bytes !== undefined) return buf;
        buf = bufferOf(buf.length * 2, buf, got);
      }
      const n = f.readSync(buf.subarray(got));
      if (n === null || n === 0) {
        return bytes === undefined ? buf.subarray(0, got) : undefined;
      }
      if (bytes === undefined) {
        const nl = buf.subarray(got, got + n).indexOf(10);
        if (nl >= 0) return buf.subarray(0, got + nl);
      }
      got += n;
    }
  } catch {
    return undefined;
  } finally {
    f.close();
  }
}

const utf8 = new TextDecoder();

function decode(bytes: Uint8Array, atStart: boolean): string {
  let s = utf8.decode(bytes);
  if (atStart && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  if (s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
  return s;
}

/**
 * A run_start value as a listing keeps it: `git.diff` and `git.status`
 * cut at `max` characters (flagged `*_truncated`).
 *
 * @param start The value (modified).
 * @param max The longest text kept.
 */
export function capStrings(start: Record<string, unknown>, max: number): void {
  const git = obj(start.git);
  if (git === null) return;
  for (const k of ["diff", "status"]) {
    const v = git[k];
    if (typeof v === "string" && v.length > max) {
      git[k] = v.slice(0, max);
      git[`${k}_truncated`] = true;
    }
  }
}

/** The cap {@linkcode startOf} applies (set by the listing). */
let startCap = Infinity;

/** The run_start value re-read from the file, or null when the file no longer holds the run. */
function readStart(run: Listed): Record<string, unknown> | null {
  const bytes = readBytes(run.file, 0, undefined);
  if (bytes === undefined) return null;
  const rec = parseLine({
    text: decode(bytes, true),
    line: 1,
    terminated: true,
  });
  if (typeof rec === "string" || rec.run_id !== run.id) return null;
  const start = rec.kind === "run_start" ? obj(rec.value) ?? {} : {};
  capStrings(start, startCap);
  return start;
}

function startOf(run: Listed): Record<string, unknown> {
  if (run[END_AT] === undefined) return {};
  const kept = keptStarts.get(run);
  if (kept !== undefined) return kept;
  if (lastStartOf === run) return lastStart;
  const start = readStart(run) ?? {};
  lastStartOf = run;
  lastStart = start;
  return start;
}

/**
 * A listed run's run_start value, read now: null when its file is gone or
 * no longer holds the run (removed by another process since it was
 * listed), where `run.start` would give `{}`. For a command that acts on
 * what the run recorded (prune removes its snapshot ref only while it
 * points at the recorded commit).
 *
 * @param run A run from a listing or {@linkcode readRun}.
 * @returns Its run_start value, or null.
 */
export function recordedStart(run: RunInfo): Record<string, unknown> | null {
  const listed = run as Listed;
  if (listed[END_AT] === undefined) return run.start;
  const kept = keptStarts.get(listed);
  if (kept !== undefined) return kept;
  const start = readStart(listed);
  if (start !== null) {
    lastStartOf = listed;
    lastStart = start;
  }
  return start;
}

function endOf(run: Listed): RunEnd | null {
  const offset = run[END_AT] ?? -1;
  if (offset < 0) return null;
  if (lastEndOf === run) return lastEnd;
  const at: LineLocation = {
    file: run.file,
    offset,
    bytes: run[END_BYTES] ?? 0,
    deno: run.writer === "deno",
  };
  let end: RunEnd = {} as RunEnd;
  const bytes = readBytes(at.file, at.offset, at.bytes);
  if (bytes !== undefined) {
    const text = decode(bytes, at.offset === 0);
    const rec = parseRunEndLazily(text, at) ??
      parseLine({ text, line: 0, terminated: true });
    if (typeof rec !== "string" && rec.kind === "run_end") {
      end = (obj(rec.value) as RunEnd | null) ?? {} as RunEnd;
    }
  }
  lastEndOf = run;
  lastEnd = end;
  return end;
}

/**
 * Where a listed run's run_end line is, while its `end` is still read from
 * the file (not replaced by a value): the line's offset (-1: no run_end)
 * and length; `undefined` for a run not listed this way.
 */
function endInFile(
  run: RunInfo,
): { offset: number; bytes: number } | undefined {
  const offset = (run as Listed)[END_AT];
  if (offset === undefined) return undefined;
  if (Object.getOwnPropertyDescriptor(run, "end")?.get !== END_GET) {
    return undefined; // replaced by a value
  }
  return { offset, bytes: (run as Listed)[END_BYTES] ?? 0 };
}

/**
 * Whether a run has a run_end (`run.end !== null`), without reading it for
 * a listed run.
 *
 * @param run A run.
 * @returns Whether `run.end` is not null.
 */
export function hasRunEnd(run: RunInfo): boolean {
  const at = endInFile(run);
  return at === undefined ? run.end !== null : at.offset >= 0;
}

/**
 * One path's statistics in a listed run's run_end summary, read from the
 * line in its file without parsing the run_end or keeping it (what
 * `summaryStatsAt(run.end, key)` and `run.end.summary_truncated` give).
 *
 * @param run A run.
 * @param key The canonical summary key.
 * @returns `null` without a run_end; the path's statistics (`null` when
 *   the summary lacks it) and whether the summary is truncated; or
 *   `undefined` when this cannot tell (then read `run.end`).
 */
export function listedSummaryStats(
  run: RunInfo,
  key: string,
): { stats: PathStats | null; truncated: boolean } | null | undefined {
  const at = endInFile(run);
  if (at === undefined) return undefined;
  if (at.offset < 0) return null;
  if (run.writer !== "deno" || lastEndOf === run) return undefined;
  const bytes = readBytes(run.file, at.offset, at.bytes);
  if (bytes === undefined) return undefined;
  return summaryStatsInLine(decode(bytes, at.offset === 0), key);
}

function accessor(get: (run: Listed) => unknown, key: string) {
  return {
    get(this: Listed) {
      return get(this);
    },
    set(this: Listed, v: unknown) {
      setData(this, key, v);
    },
    enumerable: true,
    configurable: true,
  };
}

/** The same accessors for every run, so that runs share their shape. */
const ACCESSORS: PropertyDescriptorMap = {
  git: accessor((r) => obj(startOf(r).git) as GitState | null, "git"),
  metadata: accessor((r) => {
    const m = startOf(r).metadata;
    return m === undefined ? null : m;
  }, "metadata"),
  host: accessor((r) => obj(startOf(r).host), "host"),
  process: accessor((r) => obj(startOf(r).process), "process"),
  start: accessor(startOf, "start"),
  end: accessor(endOf, "end"),
};
const END_GET = ACCESSORS.end.get;

/**
 * Turns a run's `git`, `metadata`, `host`, `process`, `start` and `end`
 * into values read from its file when asked (same values, same key order).
 *
 * @param run The run, as read (modified, and returned).
 * @param at Its run_start's length in bytes, its run_end line's offset
 *   and length in bytes (or null), and the cap of git texts.
 * @returns The run.
 */
export function leaveInFile(
  run: RunInfo,
  at: {
    startBytes: number;
    end: { offset: number; bytes: number } | null;
    cap: number;
  },
): RunInfo {
  startCap = at.cap;
  // a new object, its properties added in order (an existing one turned
  // into accessors would go to dictionary mode: slower and larger)
  const out = {} as Listed;
  for (const k of Object.keys(run) as (keyof RunInfo)[]) {
    const a = ACCESSORS[k];
    if (a !== undefined) Object.defineProperty(out, k, a);
    else (out as unknown as Record<string, unknown>)[k] = run[k];
  }
  Object.defineProperty(out, END_AT, { value: at.end?.offset ?? -1 });
  Object.defineProperty(out, END_BYTES, { value: at.end?.bytes ?? 0 });
  if (at.startBytes > KEEP_START_BYTES) keptStarts.set(out, run.start);
  return out;
}
