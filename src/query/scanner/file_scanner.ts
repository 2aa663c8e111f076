/**
 * The chunked file scanner: reads a run file in chunks, decodes whole lines
 * in pieces, and hands them to a line scan (`line_scan.ts`) for one path.
 * It returns the numeric leaves at the path with their `elapsed_ms`, in
 * file order; the caller feeds them to `SummaryBuilder`, so the result
 * equals the tracker's summary by construction.
 *
 * The same code runs on the main thread and in blob workers (see
 * `worker_source.ts`): self-contained but for what that source includes.
 *
 * @module
 * @internal
 */

import type { StatsAcc } from "../../summary.ts";
import { createLeafBuffer } from "./leaf_buffer.ts";
import { createLeafStats, type LeafSink } from "./leaf_stats.ts";
import {
  createLineScan,
  type LineScan,
  readExact,
  readText,
  startText,
} from "./line_scan.ts";
import { type ScanTarget, scanTarget } from "./target.ts";
import { createTemplateSet, type TemplateSet } from "./template_set.ts";
import { collectRecord } from "./walker.ts";

/** Bytes read at a time (a read per 64 KiB cost ~15% more time). */
export const READ_CHUNK_BYTES = 1 << 20;

/**
 * Bytes decoded into one string: below V8's large-object size, so each
 * text dies young (1 MiB texts went to the large-object space and raised
 * the peak RSS of a 330 MB scan from ~115 to ~180 MB), and small, because
 * the text being read survives each scavenge: the bytes that survive make
 * V8 grow its young generation, so with 64 KiB texts the peak RSS grew with
 * the file's length (`best --by max` of one run: 60 MB at 200,000 records,
 * 75 MB at 2,000,000; 200 runs: ~133 MB). 16 KiB: 59/62 MB, 200 runs
 * ~86 MB, no slower (8 KiB: no better).
 */
export const DECODE_PIECE_BYTES = 1 << 14;

/** A buffer grown for a long line is dropped after the scan when above this. */
export const KEEP_BUFFER_BYTES = 4 * READ_CHUNK_BYTES;

/** Paths whose targets and templates are kept (the oldest goes first). */
export const KEPT_PATHS = 64;

/** What one file's scan produced. */
export type ScanResult =
  | { status: "ok"; n: number; values: Float64Array }
  | { status: "invalid" }
  | { status: "error"; message: string };

/**
 * What one file's statistics scan produced: `stats` is `null` when the file
 * has no number at the path.
 */
export type StatsResult =
  | { status: "ok"; stats: StatsAcc | null }
  | { status: "invalid" }
  | { status: "error"; message: string };

/** A scanner: its buffers, and per path the templates it has learned. */
export interface FileScanner {
  /**
   * Scans a file for the numeric leaves at a summary path (`value.a.[].b`)
   * of track records. `invalid` when a line is not a JSON object or is of
   * another run (the caller redoes the file with the reporting reader).
   */
  scanFile(file: string, path: string, firstOnly: boolean): ScanResult;
  /**
   * The same scan reduced to the statistics of the leaves (memory does not
   * grow with the file).
   */
  scanStats(file: string, path: string, firstOnly: boolean): StatsResult;
  /** The numeric leaves at a summary path of one parsed track record. */
  valuesOf(record: Record<string, unknown>, path: string): number[];
  /** How many lines the templates of a path have read so far. */
  templateLines(path: string): number;
}

/**
 * What reads a file's decoded texts of whole lines, in file order: the
 * line scan of one path, or the scan of every path (`all_paths.ts`).
 */
export interface TextReader {
  /** Set when the reader needs no more text. */
  readonly done: boolean;
  /** Notes the file's first text; returns where its lines start (after a BOM). */
  start(text: string): number;
  /** Reads whole lines from `pos`; `false` when a line is invalid. */
  read(text: string, pos: number): boolean;
  /** Reads an unterminated last line (no BOM); `false` when invalid. */
  last(text: string): boolean;
}

/**
 * The line scan of one path as a {@linkcode TextReader}.
 *
 * @param st The scan.
 * @returns The reader.
 */
export function lineScanReader(st: LineScan): TextReader {
  return {
    get done() {
      return st.done;
    },
    start: (text) => startText(st, text),
    read: (text, pos) => readText(st, text, pos),
    last: (text) => readExact(st, text, 0, text.length, false),
  };
}

/** The buffers a scanner reuses from file to file. */
export interface ReadBuffers {
  /** Raw bytes (grows for a line longer than it). */
  buf: Uint8Array;
  /** UTF-8, the BOM kept (the line scan skips it). */
  decoder: TextDecoder;
}

/**
 * Feeds one chunk's whole lines [0, lastNL] to the scan, in pieces of at
 * most about {@linkcode DECODE_PIECE_BYTES} (whole lines only, so no
 * character is split between texts).
 *
 * @param io The buffers.
 * @param lastNL The index of the chunk's last `\n`.
 * @param st The reader.
 * @param first Whether this is the file's first chunk.
 * @returns `false` when a line is invalid.
 */
export function readChunkLines(
  io: ReadBuffers,
  lastNL: number,
  st: TextReader,
  first: boolean,
): boolean {
  const buf = io.buf;
  for (let start = 0; start <= lastNL && !st.done;) {
    let end = lastNL;
    if (end - start >= DECODE_PIECE_BYTES) {
      end = buf.lastIndexOf(10, start + DECODE_PIECE_BYTES - 1);
      if (end < start) end = buf.indexOf(10, start + DECODE_PIECE_BYTES); // a long line
    }
    const text = io.decoder.decode(buf.subarray(start, end + 1));
    const pos = first && start === 0 ? st.start(text) : 0;
    start = end + 1;
    if (!st.read(text, pos)) return false;
  }
  return true;
}

/**
 * Reads an open file to its end (or the scan's), chunk by chunk.
 *
 * @param f The file.
 * @param io The buffers (`buf` may be replaced by a bigger one).
 * @param st The reader.
 * @returns `false` when a line is invalid.
 */
export function readFile(
  f: Deno.FsFile,
  io: ReadBuffers,
  st: TextReader,
): boolean {
  let have = 0;
  let first = true;
  while (!st.done) {
    if (have === io.buf.length) {
      const bigger = new Uint8Array(io.buf.length * 2); // a line longer than the buffer
      bigger.set(io.buf);
      io.buf = bigger;
    }
    const got = f.readSync(io.buf.subarray(have));
    if (got === null || got === 0) break;
    const total = have + got;
    const lastNL = io.buf.lastIndexOf(10, total - 1);
    if (lastNL === -1) {
      have = total;
      continue;
    }
    if (!readChunkLines(io, lastNL, st, first)) return false;
    first = false;
    io.buf.copyWithin(0, lastNL + 1, total);
    have = total - lastNL - 1;
  }
  if (st.done || have === 0) return true;
  // an unterminated last line (torn when it does not parse)
  let rest = io.decoder.decode(io.buf.subarray(0, have));
  if (first && rest.charCodeAt(0) === 0xfeff) rest = rest.slice(1);
  return st.last(rest);
}

/**
 * Creates a scanner with its own buffers and templates.
 *
 * @returns The scanner.
 */
export function createFileScanner(): FileScanner {
  const io: ReadBuffers = {
    buf: new Uint8Array(READ_CHUNK_BYTES),
    decoder: new TextDecoder("utf-8", { ignoreBOM: true }),
  };
  const sink = createLeafBuffer();
  const paths = new Map<
    string,
    { target: ScanTarget; templates: TemplateSet | undefined }
  >();
  const entry = (path: string) => {
    let e = paths.get(path);
    if (e === undefined) {
      const target = scanTarget(path);
      // no templates for paths through lists: their records hold several leaves
      const templates = target.lists
        ? undefined
        : createTemplateSet(target.segs);
      if (paths.size >= KEPT_PATHS) paths.delete(paths.keys().next().value!);
      paths.set(path, e = { target, templates });
    }
    return e;
  };
  const scanInto = (
    file: string,
    path: string,
    firstOnly: boolean,
    into: LeafSink,
  ): { status: "invalid" } | { status: "error"; message: string } | null => {
    const { target, templates } = entry(path);
    const st = createLineScan(target, templates, into, firstOnly);
    let f: Deno.FsFile;
    try {
      f = Deno.openSync(file, { read: true });
    } catch (e) {
      return { status: "error", message: String(e) };
    }
    templates?.begin();
    try {
      if (!readFile(f, io, lineScanReader(st))) return { status: "invalid" };
    } catch (e) {
      return { status: "error", message: String(e) };
    } finally {
      f.close();
      if (io.buf.length > KEEP_BUFFER_BYTES) {
        io.buf = new Uint8Array(READ_CHUNK_BYTES);
      }
      templates?.end();
    }
    return null;
  };
  const scanFile = (
    file: string,
    path: string,
    firstOnly: boolean,
  ): ScanResult => {
    sink.clear();
    return scanInto(file, path, firstOnly, sink) ??
      { status: "ok", ...sink.take() };
  };
  const stats = createLeafStats();
  const scanStats = (
    file: string,
    path: string,
    firstOnly: boolean,
  ): StatsResult => {
    stats.clear();
    const bad = scanInto(file, path, firstOnly, stats);
    return bad ?? { status: "ok", stats: stats.take() };
  };
  const valuesOf = (
    record: Record<string, unknown>,
    path: string,
  ): number[] => {
    sink.clear();
    collectRecord(record, entry(path).target.segs, sink);
    return sink.toArray();
  };
  const templateLines = (path: string) =>
    paths.get(path)?.templates?.lines ?? 0;
  return { scanFile, scanStats, valuesOf, templateLines };
}
