/**
 * Following a run file as it grows: each poll reads only the bytes appended
 * since the last one and returns the records of the lines completed since.
 * An unterminated last line is kept, unread, until its newline arrives: a
 * live run's record in progress is never reported as torn. Only when the
 * writer is gone ({@linkcode RunFollower.finish}) is such a line parsed,
 * and reported as torn when it does not parse.
 *
 * @module
 */

import { report } from "./problems.ts";
import { foreignReason, openRead, parseLine } from "./reader.ts";
import type { ReadOptions, SourcedRecord } from "./types.ts";

const NL = 10;
const CHUNK = 4 << 20;

/** Options of a {@linkcode RunFollower}. */
export interface FollowOptions extends ReadOptions {
  /** Keep only the records of the last this many lines of the first poll. */
  firstLines?: number;
}

/**
 * Reads a run file incrementally.
 *
 * Requires `--allow-read` for the file.
 *
 * @example
 * ```ts ignore
 * import { RunFollower } from "./follow.ts";
 * const f = new RunFollower(run.file, { firstLines: 10 });
 * for (const { record, line } of f.poll()) console.log(line, record.kind);
 * ```
 */
export class RunFollower {
  #file: string;
  #options: FollowOptions;
  /** Bytes of the file consumed: whole lines only. */
  #offset = 0;
  /** Lines consumed. */
  #line = 0;
  /** The bytes after the last newline read (a line in progress). */
  #pending: Uint8Array = new Uint8Array(0);
  #decoder = new TextDecoder("utf-8");
  #runId: unknown;
  #polled = false;

  /**
   * @param file The run file.
   * @param options Problem handling; `firstLines` bounds the first poll.
   */
  constructor(file: string, options: FollowOptions = {}) {
    this.#file = file;
    this.#options = options;
  }

  /** The bytes of the file read so far (including a line in progress). */
  get size(): number {
    return this.#offset + this.#pending.length;
  }

  /**
   * Reads what was appended since the last poll (in chunks of at most
   * 4 MiB: never the whole file in memory).
   *
   * @returns The records of the lines completed since, in file order.
   */
  poll(): SourcedRecord[] {
    const keep = this.#polled ? undefined : this.#options.firstLines;
    this.#polled = true;
    let lines: RawText[] = [];
    let first: RawText | undefined; // line 1 names the run
    const f = openRead(this.#file);
    try {
      const size = f.statSync().size;
      while (this.size < size) {
        const chunk = new Uint8Array(Math.min(CHUNK, size - this.size));
        f.seekSync(this.size, Deno.SeekMode.Start);
        const got = readFull(f, chunk);
        if (got === 0) break;
        for (const l of this.#split(chunk.subarray(0, got))) {
          if (l.line === 1) first = l;
          lines.push(l);
        }
        if (keep !== undefined && lines.length > 2 * keep + 64) {
          lines = lines.slice(-keep);
        }
      }
    } finally {
      f.close();
    }
    if (keep !== undefined) {
      lines = lines.slice(-keep);
      if (first !== undefined && this.#runId === undefined) {
        const rec = parseLine({ ...first, terminated: true });
        if (typeof rec !== "string") this.#runId = rec.run_id;
      }
    }
    return this.#parse(lines, true);
  }

  /**
   * Reads what is left once the writer is gone: the appended lines and a
   * last line without newline (torn when it does not parse).
   *
   * @returns The records not yet returned.
   */
  finish(): SourcedRecord[] {
    const out = this.poll();
    if (this.#pending.length === 0) return out;
    const text = this.#decoder.decode(this.#pending);
    this.#offset += this.#pending.length;
    this.#pending = new Uint8Array(0);
    const last = { text: clean(text, this.#line === 0), line: ++this.#line };
    return [...out, ...this.#parse([last], false)];
  }

  /** The whole lines completed by a chunk; the rest is kept pending. */
  #split(chunk: Uint8Array): RawText[] {
    const data = this.#pending.length === 0
      ? chunk
      : concat(this.#pending, chunk);
    const lastNL = data.lastIndexOf(NL);
    if (lastNL === -1) {
      this.#pending = data.slice();
      return [];
    }
    this.#pending = data.slice(lastNL + 1);
    this.#offset += lastNL + 1;
    const texts = this.#decoder.decode(data.subarray(0, lastNL)).split("\n");
    return texts.map((t) => {
      const line = ++this.#line;
      return { text: clean(t, line === 1), line };
    });
  }

  #parse(lines: readonly RawText[], terminated: boolean): SourcedRecord[] {
    const out: SourcedRecord[] = [];
    const file = this.#file;
    for (const { text, line } of lines) {
      if (text.trim() === "") continue;
      const rec = parseLine({ text, line, terminated });
      if (typeof rec === "string") {
        report(this.#options, { file, line, reason: rec });
        continue;
      }
      if (this.#runId === undefined) this.#runId = rec.run_id;
      else if (rec.run_id !== undefined && rec.run_id !== this.#runId) {
        report(this.#options, {
          file,
          line,
          reason: foreignReason(rec.run_id, this.#runId),
        });
        continue;
      }
      out.push({ record: rec, file, line });
    }
    return out;
  }
}

/** A line's text and number. */
interface RawText {
  text: string;
  line: number;
}

/** Without a leading BOM (line 1) and a trailing `\r`. */
function clean(text: string, firstLine: boolean): string {
  let t = text;
  if (firstLine && t.charCodeAt(0) === 0xfeff) t = t.slice(1);
  if (t.charCodeAt(t.length - 1) === 13) t = t.slice(0, -1);
  return t;
}

function readFull(f: Deno.FsFile, buf: Uint8Array): number {
  let got = 0;
  while (got < buf.length) {
    const n = f.readSync(buf.subarray(got));
    if (n === null || n === 0) break;
    got += n;
  }
  return got;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
