/**
 * `Experiment`: one run, written as `<dir>/runs/<run_id>.jsonl`.
 *
 * @module
 */
import { LINE_END, type RecordFramer } from "../record.ts";
import { SummaryBuilder } from "../summary.ts";
import { encodeValue, ValueEncoder } from "./encode.ts";
import { runEndValue } from "./end.ts";
import {
  type ExitInfo,
  forget,
  type Participant,
  register,
  unregister,
} from "./lifecycle.ts";
import {
  checkEndStatus,
  type EndOptions,
  type ExperimentOptions,
  startSettings,
  type TrackOptions,
} from "./options.ts";
import { startRun } from "./start.ts";
import type { FileAppender } from "./writer.ts";

export type {
  EndOptions,
  EndStatus,
  ExperimentOptions,
  TrackOptions,
} from "./options.ts";

/** The bytes of {@linkcode LINE_END}, appended to every track record. */
const LINE_END_BYTES = new TextEncoder().encode(LINE_END);

// created_at changes once per millisecond: format it at most that often.
let isoMs = -1;
let iso = "";
function isoNow(now: number): string {
  if (now !== isoMs) {
    iso = new Date(now).toISOString();
    isoMs = now;
  }
  return iso;
}

/**
 * One experiment run, recorded as an append-only JSONL file
 * `<dir>/runs/<run_id>.jsonl`: a `run_start` record with the code state
 * (git), host, process, runtime and metadata, one `track` record per
 * {@linkcode Experiment.prototype.track} call, and a `run_end` record
 * written by {@linkcode Experiment.prototype.end}, by `using`, or when the
 * process ends (normally, by `Deno.exit`, an uncaught error, an unhandled
 * rejection, or — with `handleSignals` — SIGINT/SIGTERM). A `track()`
 * from an `unload` listener that runs after exprag's is still recorded
 * (before `run_end`); a later listener that fails the process turns
 * `run_end` into `failed` with exit code 1. Inside a Worker, end the run
 * with `end()` or `using`: a Worker's end fires no event to write it.
 *
 * Permissions: requires `--allow-write` for the runs directory (e.g.
 * `--allow-write=.exprag`). Optional, each recorded as unavailable when
 * missing: `--allow-run=git` (code state), `--allow-sys=hostname,osRelease`,
 * `--allow-env=USER` (username), `--allow-env=EXPRAG_DIR`; Deno reads
 * `/proc` (boot id, process start ticks) only with `--allow-all`. Nothing is
 * ever requested or prompted for.
 *
 * @example A training loop
 * ```ts
 * import { Experiment } from "@exprag/cli";
 *
 * // Your script would omit `dir` (default .exprag) and `git` (default
 * // "snapshot"); this example writes to a temporary directory instead.
 * const dir = Deno.makeTempDirSync();
 * {
 *   using exp = new Experiment("training my neural network", {
 *     dir,
 *     git: false,
 *     metadata: { hparams: { learning_rate: 0.03, batch_size: 32 } },
 *   });
 *   for (let step = 0; step < 5; step++) {
 *     const loss = 1 / (step + 1);
 *     exp.track({ step, metrics: { loss } }, { note: "after each step" });
 *   }
 *   console.log(`run ${exp.runId} written to ${exp.path}`);
 * } // leaving the scope writes run_end (status "finished")
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export class Experiment {
  /**
   * The run id (UUID v4); the file is `<dir>/runs/<runId>.jsonl`, and a
   * dirty worktree's snapshot is the branch `run/<runId>`.
   */
  readonly runId: string;
  /** The experiment name given to the constructor. */
  readonly name: string;
  /** Absolute path of the run file, `<dir>/runs/<runId>.jsonl`. */
  readonly path: string;

  readonly #writer: FileAppender;
  readonly #t0: number;
  readonly #frame: RecordFramer;
  readonly #encoder = new ValueEncoder("value");
  readonly #summary = new SummaryBuilder();
  readonly #participant: Participant;
  #count = 0;
  #ended = false;
  /** How the process ended, when the run was ended by `unload`. */
  #unloadEnd: ExitInfo | null = null;
  /** elapsed_ms and note of the track record head currently encoded. */
  #headMs = -1;
  #headNote: string | undefined;
  /** A run_end written while the process may still survive (error event). */
  #tentative = false;
  /** Offset and bytes of the run_end written, to amend or roll it back. */
  #endOffset = 0;
  #endBytes: Uint8Array | null = null;

  /**
   * Starts a run: captures the code state and context and writes
   * `run_start`. Synchronous.
   *
   * Requires `--allow-write` for the runs directory; see the class
   * documentation for the optional permissions.
   *
   * @param name The experiment name (not blank).
   * @param options Metadata, directory, git mode, signal handling.
   * @throws {TypeError} For a blank name, invalid options, or metadata that
   * cannot be encoded (see the README's value encoding).
   * @throws {Deno.errors.NotCapable} When write permission for the runs
   * directory is not granted (the message names the flag).
   * @throws {Error} When the run file cannot be created or written.
   *
   * @example Start a run, and end it at once
   * ```ts
   * import { Experiment } from "@exprag/cli";
   *
   * const dir = Deno.makeTempDirSync();
   * new Experiment("baseline", { dir, git: false, metadata: { lr: 0.1 } }).end();
   * Deno.removeSync(dir, { recursive: true });
   * ```
   */
  constructor(name: string, options: ExperimentOptions = {}) {
    const t0 = performance.now();
    const startMs = Date.now();
    const settings = startSettings(name, options);
    const hasMetadata = options.metadata !== undefined;
    const metadata = hasMetadata
      ? encodeValue(options.metadata, "metadata")
      : undefined;

    const run = startRun(name, { settings, hasMetadata, metadata, startMs });
    this.runId = run.runId;
    this.name = name;
    this.path = run.path;
    this.#t0 = t0;
    this.#frame = run.frame;
    this.#writer = run.writer;
    this.#participant = {
      handleSignals: settings.handleSignals,
      processEnd: (info, tentative) => this.#processEnd(info, tentative),
    };
    register(this.#participant);
  }

  /**
   * Appends one `track` record. When this returns, the record is in the
   * kernel: a crash right after (even SIGKILL) loses nothing.
   *
   * Values are encoded as the README's value encoding says (NaN and
   * infinities as strings, `Map`/`Set`/typed arrays/`Date`/`BigInt`/`Error`
   * converted). Numeric leaves feed the summary written into `run_end`.
   *
   * Requires the write permission the run was started with.
   *
   * @param value The value to record, e.g. `{ step, metrics: { loss } }`.
   * @param options An optional `note` for the reader.
   * @throws {TypeError} When the value cannot be encoded (function, symbol,
   * circular structure, throwing getter, too deep), naming the path, e.g.
   * `value.metrics.self`; nothing is written then.
   * @throws {Error} When the run has ended, or the write fails (naming the
   * file and the cause; earlier records stay intact).
   *
   * @example NaN and typed arrays are encoded, circular values refused
   * ```ts
   * import { Experiment } from "@exprag/cli";
   * import { throws } from "node:assert/strict";
   *
   * const dir = Deno.makeTempDirSync();
   * using exp = new Experiment("demo", { dir, git: false });
   * exp.track({ step: 1, metrics: { loss: NaN }, hist: new Float32Array([1, 2]) });
   * const self: Record<string, unknown> = {};
   * self.self = self;
   * throws(() => exp.track({ metrics: self }), TypeError); // nothing written
   * exp.end();
   * Deno.removeSync(dir, { recursive: true });
   * ```
   */
  track(value: unknown, options?: TrackOptions): void {
    if (this.#ended) {
      if (this.#unloadEnd !== null) return this.#trackLate(value, options);
      throw new Error(
        `exprag: run ${this.runId} has ended; cannot track() after end()`,
      );
    }
    let note: string | undefined;
    if (options !== undefined && options !== null) {
      note = options.note;
      if (note !== undefined && typeof note !== "string") {
        throw new TypeError("track(): options.note must be a string");
      }
    }
    const encoder = this.#encoder;
    const json = encoder.json(value);
    const now = performance.now();
    const ms = Math.round(now - this.#t0);
    const writer = this.#writer;
    if (ms !== this.#headMs || note !== this.#headNote) {
      // created_at and elapsed_ms change at most once per millisecond: the
      // record head is rebuilt (and the wall clock read) only then, and
      // the file checked for deletion (at most every 100 ms).
      writer.checkLinked(now);
      this.#headMs = ms;
      this.#headNote = note;
      writer.setPrefix(
        this.#frame.head("track", isoNow(Date.now()), ms, note),
      );
    }
    writer.appendPrefixed(json ?? "null", LINE_END_BYTES);
    this.#count++;
    const n = encoder.leafCount;
    if (n > 0) {
      this.#summary.addLeaves(encoder.leafPaths, encoder.leafValues, n, ms);
    }
  }

  /**
   * Ends the run: writes `run_end` (status, record count, duration, the
   * per-path summary of numeric values), syncs the file to disk and releases
   * it. Idempotent: later calls do nothing.
   *
   * Without a status, the run is `finished` (or `failed` when `error` is
   * given). If an uncaught error follows right away (in the same macrotask:
   * the error that left the `using` block or `finally`), that default
   * `finished` is amended to `failed` with the error.
   *
   * Requires the write permission the run was started with.
   *
   * @param options The final `status` and the `error`, if any.
   * @throws {TypeError} For an unknown status.
   * @throws {Error} When `run_end` cannot be written (the run stays open).
   *
   * @example Record a failure, then rethrow
   * ```ts
   * import { Experiment } from "@exprag/cli";
   *
   * const dir = Deno.makeTempDirSync();
   * const exp = new Experiment("demo", { dir, git: false });
   * try {
   *   exp.track({ loss: 0.1 });
   *   exp.end(); // status "finished"
   * } catch (error) {
   *   exp.end({ error }); // status "failed", with the error
   *   throw error;
   * } finally {
   *   Deno.removeSync(dir, { recursive: true });
   * }
   * ```
   */
  end(options: EndOptions = {}): void {
    if (this.#ended) return;
    const { status, error } = options ?? {};
    checkEndStatus(status);
    const info: ExitInfo = {
      status: status ?? (error !== undefined ? "failed" : "finished"),
      exitCode: null,
    };
    if (error !== undefined) info.error = error;
    try {
      this.#finish(info, false);
    } finally {
      if (this.#ended) this.#close(status === undefined && error === undefined);
    }
  }

  /**
   * Ends the run like {@linkcode Experiment.prototype.end} without options,
   * so that `using exp = new Experiment(...)` records `run_end` when the
   * scope is left.
   */
  [Symbol.dispose](): void {
    this.end();
  }

  #elapsed(): number {
    return Math.round(performance.now() - this.#t0);
  }

  #runEndLine(info: ExitInfo): string {
    const ms = this.#elapsed();
    const value = runEndValue(info, {
      trackCount: this.#count,
      durationMs: ms,
      summary: this.#summary,
    });
    return this.#frame.line("run_end", isoNow(Date.now()), ms, value);
  }

  /** Writes run_end and syncs; the file stays open. */
  #finish(info: ExitInfo, tentative: boolean): void {
    this.#writer.checkLinked();
    const offset = this.#writer.size;
    const bytes = this.#writer.append(this.#runEndLine(info));
    this.#ended = true;
    this.#tentative = tentative;
    this.#endOffset = offset;
    this.#endBytes = bytes;
    this.#writer.sync();
  }

  /**
   * A track() from an `unload` listener that runs after exprag's: the
   * process is still ending as run_end says, so the record goes before a
   * rewritten run_end.
   */
  #trackLate(value: unknown, options?: TrackOptions): void {
    const info = this.#unloadEnd!;
    const writer = this.#writer;
    writer.reopen(this.#endOffset + this.#endBytes!.length);
    writer.truncate(this.#endOffset);
    this.#ended = false;
    this.#unloadEnd = null;
    try {
      this.track(value, options);
    } finally {
      this.#finish(info, false);
      this.#unloadEnd = info;
      writer.close();
    }
  }

  #close(amendable: boolean): void {
    this.#writer.close();
    unregister(this.#participant, amendable);
  }

  #processEnd(info: ExitInfo, tentative: boolean): (() => void) | undefined {
    const writer = this.#writer;
    if (!this.#ended) {
      if (!tentative) {
        try {
          this.#finish(info, false);
        } finally {
          if (this.#ended) this.#close(false);
        }
        if (info.atUnload === true) this.#unloadEnd = info;
        return undefined;
      }
      this.#finish(info, true);
      const offset = this.#endOffset;
      return () => {
        // The error was handled and the process goes on: so does the run.
        writer.truncate(offset);
        this.#ended = false;
        this.#tentative = false;
        this.#endBytes = null;
      };
    }
    if (this.#tentative || this.#endBytes === null || !tentative) {
      return undefined;
    }
    // Ended by default moments ago, and now an uncaught error: the error left
    // the run's scope (using / finally). Amend run_end to failed.
    forget(this.#participant);
    const unloadEnd = this.#unloadEnd;
    this.#unloadEnd = null; // the process now ends as amended
    const offset = this.#endOffset;
    const original = this.#endBytes;
    writer.reopen(offset + original.length);
    writer.truncate(offset);
    const amended = writer.append(this.#runEndLine(info));
    writer.sync();
    this.#endBytes = amended;
    return () => {
      writer.truncate(offset);
      writer.append(original);
      writer.sync();
      writer.close();
      this.#endBytes = original;
      this.#unloadEnd = unloadEnd;
    };
  }
}
