/**
 * One run from its file: the first line (run_start) and the tail (run_end,
 * last record), so that listing reads O(runs) bytes.
 *
 * @module
 */

import { isValidRunId } from "./files.ts";
import { report } from "./problems.ts";
import {
  fileError,
  foreignReason,
  lineInProgress,
  openRead,
  parseLine,
  TORN_LINE,
} from "./reader.ts";
import { parseRunEndWithoutSummary } from "./lazy_summary.ts";
import { capStrings, leaveInFile } from "./lazy_run.ts";
import {
  countNewlines,
  countNewlinesBefore,
  countNewlinesIn,
  type Head,
  iterLinesBackward,
  iterLinesBackwardIn,
  readHead,
} from "./lines.ts";
import { _resetProbes, inferStatus, isDenoRunStart } from "./status.ts";
import type { GitState } from "../record.ts";
import type { ExpragRecord, ReadOptions, RunEnd, RunInfo } from "./types.ts";

/** Options of {@linkcode readRun}. */
export interface ReadRunOptions extends ReadOptions {
  /** Count track records by scanning files without run_end (default true). */
  countRecords?: boolean;
}

function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? v as Record<string, unknown>
    : null;
}

/**
 * Reads one run from its file: run_start from the first line, run_end and
 * the last record from the tail, the status (see `inferStatus`), and the
 * number of track records (run_end's `track_count`, else counted lines).
 * Problems (empty file, invalid first line, torn last line) are reported
 * through `onProblem`, or thrown when `strict`.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param file The run file.
 * @param options Problem handling; `countRecords: false` skips counting.
 * @returns The run, or `undefined` when the file holds no usable run_start.
 *
 * @example One run file
 * ```ts
 * import { readRun } from "./run_file.ts";
 * import { Experiment } from "../tracker/experiment.ts";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * const exp = new Experiment("t", { dir, git: false });
 * exp.end();
 * equal(readRun(exp.path)?.status, "finished");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function readRun(
  file: string,
  options: ReadRunOptions = {},
): RunInfo | undefined {
  if (options.countRecords === undefined) _resetProbes(); // a direct call
  // One open per file: the head read also holds the whole file when it is
  // small (most are), so the tail and the line count need no second open
  // (each open costs a permission check per path component).
  let f: Deno.FsFile;
  try {
    f = openRead(file);
  } catch (e) {
    fileError(file, e, options);
    return undefined;
  }
  let read;
  try {
    read = readWithOpen(file, f, options);
  } finally {
    f.close();
  }
  if (read === undefined) return undefined;
  const { id, startRec, start, lastRec, endRec, validTail, count } = read;
  const { endAt, startBytes } = read;
  const end = endRec === null
    ? null
    : (obj(endRec.value) as RunEnd | null) ?? {} as RunEnd;
  const deno = isDenoRunStart(start);
  const started_at = typeof startRec.created_at === "string"
    ? startRec.created_at
    : null;
  const last_at = typeof lastRec.created_at === "string"
    ? lastRec.created_at
    : null;

  let records: number | null = null;
  const known = end !== null && typeof end.track_count === "number";
  if (known) {
    records = end!.track_count as number;
  } else if (count !== undefined) {
    // lines = newlines (+1 for an unterminated last line that parsed)
    let lines = count.newlines + (validTail ? 1 : 0);
    lines -= 1; // run_start
    if (endRec !== null) lines -= 1;
    records = Math.max(0, lines);
  }

  const { status, reason } = inferStatus({
    file,
    start,
    deno,
    started_at,
    last_at,
    end,
  });
  const durationFromEnd = end !== null && typeof end.duration_ms === "number"
    ? end.duration_ms
    : null;
  const lastElapsed = typeof lastRec.elapsed_ms === "number"
    ? lastRec.elapsed_ms
    : null;
  return leaveInFile({
    id,
    name: typeof startRec.experiment_name === "string"
      ? shared(startRec.experiment_name)
      : null,
    file,
    status,
    status_reason: reason === null ? null : shared(reason),
    started_at,
    last_at,
    duration_ms: durationFromEnd ?? lastElapsed,
    records,
    writer: deno ? "deno" : "python",
    exprag_version: deno && typeof startRec.exprag_version === "string"
      ? shared(startRec.exprag_version)
      : null,
    // as recorded: the tracker's GitState, or another writer's fields
    git: obj(start.git) as GitState | null,
    metadata: start.metadata === undefined ? null : start.metadata,
    host: obj(start.host),
    process: obj(start.process),
    start,
    end,
    exit_code: end !== null && typeof end.exit_code === "number"
      ? end.exit_code
      : null,
  }, {
    startBytes,
    end: endAt,
    cap: MAX_GIT_TEXT,
  });
}

/** Strings many runs repeat (names, versions, reasons), one copy each. */
const sharedStrings = new Map<string, string>();

/** One copy of a repeated string (a listing of many runs keeps each once). */
function shared(s: string): string {
  if (s.length > 200) return s;
  const have = sharedStrings.get(s);
  if (have !== undefined) return have;
  if (sharedStrings.size >= 10_000) sharedStrings.clear();
  sharedStrings.set(s, s);
  return s;
}

/** The records {@linkcode readRun} needs. */
interface RunRecords {
  id: string;
  startRec: ExpragRecord;
  start: Record<string, unknown>;
  lastRec: ExpragRecord;
  endRec: ExpragRecord | null;
  endAt: { offset: number; bytes: number } | null;
  startBytes: number;
  validTail: boolean;
  count: { newlines: number } | undefined;
}

/** The records {@linkcode readRun} needs, read through one open file. */
function readWithOpen(
  file: string,
  f: Deno.FsFile,
  options: ReadRunOptions,
): RunRecords | undefined {
  let head: Head;
  try {
    head = readHead(f);
  } catch (e) {
    fileError(file, e, options);
    return undefined;
  }
  const startRec = readStart(file, head, options);
  if (startRec === undefined) return undefined;
  const start = startRec.kind === "run_start" ? obj(startRec.value) ?? {} : {};
  capStrings(start, MAX_GIT_TEXT);
  const { lastRec, endRec, endAt, validTail } = readTail(
    { file, f, head, startRec },
    options,
  );
  const known = endRec !== null &&
    typeof obj(endRec.value)?.track_count === "number";
  const count = known || options.countRecords === false ? undefined : (() => {
    try {
      return head.whole !== null
        ? countNewlinesIn(head.whole)
        : countNewlines(file, f);
    } catch (e) {
      fileError(file, e, options);
      return undefined;
    }
  })();
  const id: string = startRec.run_id as string;
  return {
    id,
    startRec,
    start,
    startBytes: head.first?.text.length ?? 0,
    lastRec,
    endRec,
    endAt,
    validTail,
    count,
  };
}

/** The first record, when it can start a run (problems reported). */
function readStart(
  file: string,
  head: Head,
  options: ReadRunOptions,
): ExpragRecord | undefined {
  const first = head.first;
  if (first === null || first.text.trim() === "") {
    report(options, {
      file,
      line: 0,
      reason: first === null ? "empty file" : "first line is empty",
    });
    return undefined;
  }
  const startRec = parseLine({
    text: first.text,
    line: 1,
    terminated: first.terminated,
  });
  if (typeof startRec === "string") {
    // a run file being created: its run_start is still being written
    const read = head.whole?.length ?? Number.MAX_SAFE_INTEGER;
    if (startRec === TORN_LINE && lineInProgress(file, read)) return undefined;
    report(options, {
      file,
      line: 1,
      reason: `${startRec}; no run_start, run skipped`,
    });
    return undefined;
  }
  if (!isValidRunId(startRec.run_id)) {
    report(options, {
      file,
      line: 1,
      reason: `invalid run id ${JSON.stringify(startRec.run_id)}; run skipped`,
    });
    return undefined;
  }
  if (startRec.kind !== "run_start") {
    report(options, {
      file,
      line: 1,
      reason: `first record is ${JSON.stringify(startRec.kind)}, not run_start`,
    });
  }
  return startRec;
}

/** The last record of the run and its run_end, reading the file backwards. */
function readTail(
  at: { file: string; f: Deno.FsFile; head: Head; startRec: ExpragRecord },
  options: ReadRunOptions,
): {
  lastRec: ExpragRecord;
  endRec: ExpragRecord | null;
  endAt: { offset: number; bytes: number } | null;
  validTail: boolean;
} {
  const { file, f, head, startRec } = at;
  let lastRec: ExpragRecord = startRec;
  let endRec: ExpragRecord | null = null;
  let endAt: { offset: number; bytes: number } | null = null;
  let validTail = false;
  let bad = 0;
  const skip = (offset: number, reason: string) => {
    if (options.countRecords !== false) {
      report(options, {
        file,
        line: countNewlinesBefore(file, offset) + 1,
        reason,
      });
    }
    return ++bad > 100; // do not read a whole garbage file backwards
  };
  try {
    const sizeRead = head.whole?.length ?? f.statSync().size;
    const tail = head.whole !== null
      ? iterLinesBackwardIn(head.whole)
      : iterLinesBackward(file, undefined, f);
    for (const line of tail) {
      if (line.offset === 0) break; // the run_start line itself
      if (line.text.trim() === "") continue;
      // the run's end stays in the file (leaveInFile): its summary is not needed
      const rec = parseRunEndWithoutSummary(line.text) ??
        parseLine({
          text: line.text,
          line: 0,
          terminated: line.terminated,
        });
      if (typeof rec === "string") {
        // a live run's last line, in progress: the run's end is before it
        if (rec === TORN_LINE && lineInProgress(file, sizeRead)) {
          continue;
        }
        if (skip(line.offset, rec)) {
          break;
        }
        continue;
      }
      if (rec.run_id !== undefined && rec.run_id !== startRec.run_id) {
        // a record of another run appended here: not this run's end
        if (skip(line.offset, foreignReason(rec.run_id, startRec.run_id))) {
          break;
        }
        continue;
      }
      validTail = !line.terminated;
      lastRec = rec;
      if (rec.kind === "run_end") {
        endRec = rec;
        endAt = { offset: line.offset, bytes: line.bytes ?? 0 };
      }
      break;
    }
  } catch (e) {
    fileError(file, e, options);
  }
  return { lastRec, endRec, endAt, validTail };
}

/** Longest `git.diff` / `git.status` kept in memory per run (Python exprag records whole diffs). */
export const MAX_GIT_TEXT = 64 * 1024;
