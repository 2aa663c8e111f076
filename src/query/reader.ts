/**
 * Streaming, tolerant reading of run files: chunked reads with bounded
 * buffers, each record with its source file and 1-based line.
 *
 * @module
 */

import { ProblemError } from "../errors.ts";
import { flagFor } from "../permissions.ts";
import { listRunFiles } from "./files.ts";
import { report } from "./problems.ts";
import { isLocked } from "./status.ts";
import type { ExpragRecord, ReadOptions, SourcedRecord } from "./types.ts";

/** Bytes read per `read` call. */
export const CHUNK_BYTES = 1 << 20;

/** Options of {@linkcode readRecords}. */
export interface ReadRecordsOptions extends ReadOptions {
  /** Read these files (in this order) instead of every run file. */
  files?: readonly string[];
  /** Only records of these kinds (default: all). */
  kinds?: readonly string[] | null;
}

/** A raw line of a file. */
export interface RawLine {
  /** The text without `\n` (and without a trailing `\r`). */
  text: string;
  /** 1-based line number. */
  line: number;
  /** False for a last line without `\n`. */
  terminated: boolean;
  /** For a last line without `\n`: the bytes of the file read up to its end. */
  bytes?: number;
}

/**
 * Converts a permission error into one naming the flag to add.
 *
 * @internal
 */
export function permissionError(e: unknown, path: string): unknown {
  if (
    e instanceof Deno.errors.NotCapable ||
    e instanceof Deno.errors.PermissionDenied
  ) {
    if (e instanceof Deno.errors.NotCapable) {
      return new Deno.errors.NotCapable(
        `Read permission for ${JSON.stringify(path)} not granted (${
          flagFor({ name: "read", path })
        })`,
      );
    }
    return new Deno.errors.PermissionDenied(
      `Cannot read ${
        JSON.stringify(path)
      }: permission denied by the file system`,
    );
  }
  return e;
}

/** Opens a file for reading, translating permission errors. @internal */
export function openRead(file: string): Deno.FsFile {
  try {
    return Deno.openSync(file, { read: true });
  } catch (e) {
    throw permissionError(e, file);
  }
}

/**
 * Iterates the lines of a file with a fixed-size buffer (never the whole
 * file in memory). A leading BOM and a `\r` before `\n` are removed.
 *
 * @internal
 */
export function* iterLines(file: string): Generator<RawLine> {
  const f = openRead(file);
  try {
    const buf = new Uint8Array(CHUNK_BYTES);
    const decoder = new TextDecoder("utf-8");
    let rest = "";
    let line = 0;
    let first = true;
    let bytes = 0;
    while (true) {
      const n = f.readSync(buf);
      if (n === null || n === 0) break;
      bytes += n;
      let text = decoder.decode(buf.subarray(0, n), { stream: true });
      if (first) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      let start = 0;
      if (rest !== "") {
        const nl = text.indexOf("\n");
        if (nl === -1) {
          rest += text;
          continue;
        }
        const whole = rest + text.slice(0, nl);
        rest = "";
        line++;
        yield { text: stripCR(whole), line, terminated: true };
        start = nl + 1;
      }
      while (true) {
        const nl = text.indexOf("\n", start);
        if (nl === -1) break;
        line++;
        yield { text: stripCR(text.slice(start, nl)), line, terminated: true };
        start = nl + 1;
      }
      rest = text.slice(start);
    }
    rest += decoder.decode();
    if (rest !== "") {
      line++;
      yield { text: stripCR(rest), line, terminated: false, bytes };
    }
  } finally {
    f.close();
  }
}

function stripCR(s: string): string {
  return s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
}

/**
 * The deepest nesting of a record the reader accepts: 1000 levels (our
 * tracker writes at most 200; Python's `json` fails near 1000). Deeper
 * records are skipped and reported, so that no reader, table or JSON
 * output runs out of stack on them.
 */
export const MAX_READ_DEPTH = 1000;

const STRUCTURE = /[[\]{}"\\]/g;

/** Whether a JSON text nests deeper than {@linkcode MAX_READ_DEPTH}. @internal */
export function tooDeep(text: string): boolean {
  // each level takes at least two characters
  if (text.length <= 2 * MAX_READ_DEPTH) return false;
  const re = STRUCTURE;
  re.lastIndex = 0;
  let depth = 0;
  let inString = false;
  while (re.test(text)) {
    const c = text.charCodeAt(re.lastIndex - 1);
    if (inString) {
      if (c === 92) re.lastIndex++; // \ escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > MAX_READ_DEPTH) {
        re.lastIndex = 0;
        return true;
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** Why an unterminated last line that does not parse is skipped. */
export const TORN_LINE =
  "torn line at end of file (no newline; crash mid-write?)";

/**
 * Whether an unterminated last line of a file is a record still being
 * written, not torn: the tracker holds the file's lock (it is live), or the
 * file grew past what was read (someone is appending to it). Such a line is
 * skipped silently, even when strict.
 *
 * @param file The run file.
 * @param sizeRead The bytes of the file read, up to the line's end.
 * @returns `true` when a writer is at work on the file.
 * @internal
 */
export function lineInProgress(file: string, sizeRead: number): boolean {
  if (isLocked(file) === true) return true;
  try {
    return Deno.statSync(file).size > sizeRead;
  } catch {
    return false;
  }
}

/** A reason naming a record of another run found in a run's file. @internal */
export function foreignReason(id: unknown, fileRun: unknown): string {
  const q = (v: unknown) => (JSON.stringify(v) ?? String(v)).slice(0, 100);
  return `record of run ${q(id)} in the file of run ${q(fileRun)}; skipped`;
}

/**
 * Parses one line into a record, or returns the reason it is invalid.
 *
 * @internal
 */
export function parseLine(raw: RawLine): ExpragRecord | string {
  if (tooDeep(raw.text)) {
    return `nested deeper than ${MAX_READ_DEPTH} levels`;
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.text);
  } catch {
    return raw.terminated ? "invalid JSON" : TORN_LINE;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return "not a JSON object";
  }
  return value as ExpragRecord;
}

/**
 * Reads the records of one file, calling `fn` for each valid one. Invalid
 * lines are reported (or thrown when strict); an empty file is reported.
 *
 * @internal
 */
export function* iterFileRecords(
  file: string,
  options: ReadOptions,
): Generator<SourcedRecord> {
  let any = false;
  /** The file's run: the run id and line of its first record. */
  let runId: unknown;
  let firstLine = 0;
  let lines: Generator<RawLine>;
  try {
    lines = iterLines(file);
  } catch (e) {
    fileError(file, e, options);
    return;
  }
  while (true) {
    let next: IteratorResult<RawLine>;
    try {
      next = lines.next();
    } catch (e) {
      fileError(file, e, options);
      return;
    }
    if (next.done) break;
    const raw = next.value;
    if (raw.text.trim() === "") continue;
    any = true;
    const rec = parseLine(raw);
    if (typeof rec === "string") {
      if (rec === TORN_LINE && lineInProgress(file, raw.bytes ?? 0)) break;
      report(options, { file, line: raw.line, reason: rec });
      continue;
    }
    if (firstLine === 0) {
      firstLine = raw.line;
      runId = rec.run_id;
    } else if (
      rec.run_id !== undefined && runId !== undefined && rec.run_id !== runId
    ) {
      // one file per run: a record of another run was appended here
      report(options, {
        file,
        line: raw.line,
        reason: foreignReason(rec.run_id, runId),
      });
      continue;
    } else if (rec.kind === "run_start") {
      report(options, {
        file,
        line: raw.line,
        reason:
          `another run_start (the run started at line ${firstLine}); skipped`,
      });
      continue;
    }
    yield { record: rec, file, line: raw.line };
  }
  if (!any) report(options, { file, line: 0, reason: "empty file" });
}

/**
 * Reports a file that cannot be read (permission errors propagate, and so
 * does a strict read's `ProblemError`, which already names its line).
 *
 * @internal
 */
export function fileError(
  file: string,
  e: unknown,
  options: ReadOptions,
): void {
  if (e instanceof ProblemError) throw e;
  const err = permissionError(e, file);
  if (err instanceof Deno.errors.NotCapable) throw err;
  const reason = err instanceof Error
    ? `cannot read: ${err.message}`
    : "cannot read";
  report(options, { file, line: 0, reason });
}

/**
 * Streams every record of every run file (`<dir>/runs/*.jsonl`, sorted by
 * name), file by file, line by line, never holding all records in memory.
 * A last line still being written by a live run (see
 * {@linkcode lineInProgress}) is skipped silently.
 * Tolerant by default: torn or invalid lines, non-object lines, records
 * nested deeper than {@linkcode MAX_READ_DEPTH} levels, records of another
 * run (or a second run_start) inside a run's file, empty files,
 * directories and outside symlinks are skipped and reported once
 * through `onProblem`; with `strict: true` the first one throws a `ProblemError`
 * reading `file:line: reason`. One bad file never hides the others.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param options Directory, files, kinds, strictness and problem callback.
 * @returns An async iterator of records with their source file and line.
 *
 * @example Every record, with file and line
 * ```ts
 * import { readRecords } from "./reader.ts";
 * import { Experiment } from "../tracker/experiment.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * {
 *   using exp = new Experiment("t", { dir, git: false });
 *   exp.track({ loss: 1 });
 * }
 * const kinds = [];
 * for await (const { record, line } of readRecords({ dir })) kinds.push(`${line}:${record.kind}`);
 * deepEqual(kinds, ["1:run_start", "2:track", "3:run_end"]);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export async function* readRecords(
  options: ReadRecordsOptions = {},
): AsyncGenerator<SourcedRecord> {
  const files = options.files ?? listRunFiles(options);
  const kinds = options.kinds ?? null;
  for (const file of files) {
    for (const rec of iterFileRecords(file, options)) {
      if (kinds !== null && !kinds.includes(rec.record.kind as string)) {
        continue;
      }
      yield rec;
    }
  }
  await Promise.resolve();
}
