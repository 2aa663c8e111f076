/**
 * `Experiment`: one run, written as `<dir>/runs/<run_id>.jsonl`.
 *
 * @module
 */
import { resolve } from "node:path";
import { deniedReason, granted } from "../permissions.ts";
import { SummaryBuilder } from "../summary.ts";
import { EXPRAG_VERSION, SCHEMA_VERSION } from "../version.ts";
import { captureGit } from "../git/capture.ts";
import { DEFAULT_SNAPSHOT_TIMEOUT_MS, type GitState } from "../git/types.ts";
import { captureHost, type Unavailable } from "./capture/host.ts";
import { captureProcess } from "./capture/process.ts";
import { captureRuntime } from "./capture/runtime.ts";
import { encodeValue, ValueEncoder } from "./encode.ts";
import {
  type ExitInfo,
  forget,
  type Participant,
  register,
  unregister,
} from "./lifecycle.ts";
import { RunWriter } from "./writer.ts";

/**
 * The final status of a run, as written into `run_end.value.status`:
 * `finished` (ended normally), `failed` (an error, a non-zero exit code),
 * `interrupted` (SIGINT/SIGTERM with `handleSignals`, or set by the caller).
 *
 * @example
 * ```ts ignore
 * import { Experiment, type RunStatus } from "@exprag/cli";
 * const exp = new Experiment("demo");
 * const status: RunStatus = "interrupted";
 * exp.end({ status });
 * ```
 */
export type RunStatus = "finished" | "failed" | "interrupted";

/**
 * Options of {@linkcode Experiment}. Writing the run requires
 * `--allow-write` for the runs directory (`--allow-write=.exprag`); `git`
 * capture needs `--allow-run=git` (and `--allow-read` for the worktree).
 *
 * @example
 * ```ts ignore
 * import { Experiment, type ExperimentOptions } from "@exprag/cli";
 * const options: ExperimentOptions = {
 *   metadata: { hparams: { lr: 0.03 } },
 *   dir: ".exprag",
 *   git: "snapshot",
 *   handleSignals: true,
 *   snapshotMaxFileBytes: 10 * 1024 * 1024,
 * };
 * using exp = new Experiment("train", options);
 * ```
 */
export interface ExperimentOptions {
  /**
   * Anything describing the run (hyperparameters, dataset, ...), recorded
   * once in `run_start` and encoded like track values.
   */
  metadata?: unknown;
  /**
   * The exprag directory; runs go to `<dir>/runs/`. Default: the
   * `EXPRAG_DIR` environment variable when `--allow-env=EXPRAG_DIR` is
   * granted, else `.exprag`.
   */
  dir?: string;
  /**
   * Code state capture: `"snapshot"` (default) commits a dirty worktree to
   * the branch `run/<run_id>` without touching HEAD, index or worktree;
   * `"state"` records HEAD and status only; `false` skips git.
   * Needs `--allow-run=git` (otherwise `git` is `null` and the reason is
   * recorded in `unavailable`).
   */
  git?: "snapshot" | "state" | false;
  /**
   * Handle SIGINT and SIGTERM: write `run_end` with status `interrupted`,
   * then exit with 130 / 143. Default `false` (the signals keep their
   * default action, and readers infer the run crashed).
   */
  handleSignals?: boolean;
  /**
   * Untracked files larger than this many bytes are left out of the
   * snapshot and listed as skipped. Default 10 MiB.
   */
  snapshotMaxFileBytes?: number;
  /**
   * Time limit in milliseconds for the git commands of the code-state
   * capture that may run clean filters (a filter that hangs): past it git is
   * killed, the run records `git.mode: "state"` with the reason, and
   * training goes on. Default 60000; `Infinity` for none.
   */
  snapshotTimeoutMs?: number;
}

/**
 * Options of {@linkcode Experiment.prototype.track}. No permissions beyond
 * the run's `--allow-write`.
 *
 * @example
 * ```ts ignore
 * import { Experiment, type TrackOptions } from "@exprag/cli";
 * using exp = new Experiment("train");
 * const options: TrackOptions = { note: "validation after epoch 3" };
 * exp.track({ epoch: 3, val: { acc: 0.91 } }, options);
 * ```
 */
export interface TrackOptions {
  /** A short note for the agent reading the run, e.g. "after epoch 3". */
  note?: string;
}

/**
 * Options of {@linkcode Experiment.prototype.end}. No permissions beyond
 * the run's `--allow-write`.
 *
 * @example
 * ```ts ignore
 * import { Experiment, type EndOptions } from "@exprag/cli";
 * const exp = new Experiment("train");
 * const options: EndOptions = { error: new Error("loss diverged") };
 * exp.end(options); // status "failed" with the error
 * ```
 */
export interface EndOptions {
  /** The final status; default `"failed"` when `error` is given, else `"finished"`. */
  status?: RunStatus;
  /** The error that ended the run; recorded as `{name, message, stack}`. */
  error?: unknown;
}

const STATUSES: ReadonlySet<string> = new Set([
  "finished",
  "failed",
  "interrupted",
]);

const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

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

function defaultDir(): string {
  if (granted({ name: "env", variable: "EXPRAG_DIR" })) {
    const v = Deno.env.get("EXPRAG_DIR");
    if (v) return v;
  }
  return ".exprag";
}

function errorInfo(
  e: unknown,
): { name: string; message: string; stack: string | null } {
  if (e instanceof Error) {
    let name = "Error", message = "", stack: string | null = null;
    try {
      name = String(e.name);
      message = String(e.message);
      stack = typeof e.stack === "string" ? e.stack : null;
    } catch { /* keep what was read */ }
    return { name, message, stack };
  }
  let message: string;
  try {
    message = typeof e === "string" ? e : JSON.stringify(e) ?? String(e);
  } catch {
    try {
      message = String(e);
    } catch {
      message = "an unprintable value";
    }
  }
  return { name: "Error", message, stack: null };
}

/**
 * One experiment run, recorded as an append-only JSONL file
 * `<dir>/runs/<run_id>.jsonl`: a `run_start` record with the code state
 * (git), host, process, runtime and metadata, one `track` record per
 * {@linkcode Experiment.prototype.track} call, and a `run_end` record
 * written by {@linkcode Experiment.prototype.end}, by `using`, or when the
 * process ends (normally, by `Deno.exit`, an uncaught error, an unhandled
 * rejection, or — with `handleSignals` — SIGINT/SIGTERM).
 *
 * Permissions: requires `--allow-write` for the runs directory (e.g.
 * `--allow-write=.exprag`). Optional, each recorded as unavailable when
 * missing: `--allow-run=git` (code state), `--allow-sys=hostname,osRelease`,
 * `--allow-env=USER` (username), `--allow-env=EXPRAG_DIR`; Deno reads
 * `/proc` (boot id, process start ticks) only with `--allow-all`. Nothing is
 * ever requested or prompted for.
 *
 * @example
 * ```ts ignore
 * import { Experiment } from "@exprag/cli";
 *
 * using exp = new Experiment("training my neural network", {
 *   metadata: { hparams: { learning_rate: 0.03, batch_size: 32 } },
 * });
 * for (let step = 0; step < 5; step++) {
 *   const loss = 1 / (step + 1);
 *   exp.track({ step, metrics: { loss } }, { note: "after each step" });
 * }
 * console.log(`run ${exp.runId} written to ${exp.path}`);
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

  readonly #writer: RunWriter;
  readonly #t0: number;
  readonly #head: string;
  readonly #encoder = new ValueEncoder("value");
  readonly #summary = new SummaryBuilder();
  readonly #participant: Participant;
  #count = 0;
  #ended = false;
  readonly #trackPrefix: string;
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
   * cannot be encoded (see {@linkcode encodeValue}).
   * @throws {Deno.errors.NotCapable} When write permission for the runs
   * directory is not granted (the message names the flag).
   * @throws {Error} When the run file cannot be created or written.
   *
   * @example
   * ```ts ignore
   * import { Experiment } from "@exprag/cli";
   * const exp = new Experiment("baseline", { git: "state", metadata: { lr: 0.1 } });
   * exp.end();
   * ```
   */
  constructor(name: string, options: ExperimentOptions = {}) {
    const t0 = performance.now();
    const startMs = Date.now();
    if (typeof name !== "string" || name.trim() === "") {
      throw new TypeError("Experiment name must be a non-empty string");
    }
    if (options === null || typeof options !== "object") {
      throw new TypeError("Experiment options must be an object");
    }
    const gitMode = options.git === undefined ? "snapshot" : options.git;
    if (gitMode !== "snapshot" && gitMode !== "state" && gitMode !== false) {
      throw new TypeError(
        `options.git must be "snapshot", "state" or false, got ${
          String(options.git)
        }`,
      );
    }
    const maxFileBytes = options.snapshotMaxFileBytes ??
      DEFAULT_MAX_FILE_BYTES;
    if (
      typeof maxFileBytes !== "number" || !(maxFileBytes >= 0) ||
      !Number.isFinite(maxFileBytes)
    ) {
      throw new TypeError(
        "options.snapshotMaxFileBytes must be a non-negative number",
      );
    }
    const timeoutMs = options.snapshotTimeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS;
    if (typeof timeoutMs !== "number" || !(timeoutMs > 0)) {
      throw new TypeError(
        "options.snapshotTimeoutMs must be a positive number",
      );
    }
    const dir = options.dir ?? defaultDir();
    if (typeof dir !== "string" || dir === "") {
      throw new TypeError("options.dir must be a non-empty string");
    }
    const hasMetadata = options.metadata !== undefined;
    const metadata = hasMetadata
      ? encodeValue(options.metadata, "metadata")
      : undefined;

    const runId = crypto.randomUUID();
    const absDir = resolve(dir);
    const runsDir = resolve(absDir, "runs");
    const path = resolve(runsDir, `${runId}.jsonl`);
    if (!granted({ name: "write", path: runsDir })) {
      throw new Deno.errors.NotCapable(
        `exprag: cannot record the run: ${
          deniedReason({ name: "write", path: dir })
        }`,
      );
    }
    try {
      Deno.mkdirSync(runsDir, { recursive: true });
    } catch (e) {
      throw new Error(
        `exprag: cannot create ${runsDir}: ${(e as Error).message}`,
        { cause: e },
      );
    }

    const unavailable: Unavailable = {};
    let git: GitState | null = null;
    if (gitMode === false) {
      unavailable.git = "disabled by the option git: false";
    } else {
      try {
        const r = captureGit({
          mode: gitMode,
          runId,
          expragDir: absDir,
          maxFileBytes,
          timeoutMs,
        });
        git = r.git;
        if (r.reason !== undefined) unavailable.git = r.reason;
        // "git.snapshot", "git.index", "git.skipped" (docs/design.md)
        if (r.unavailable !== undefined) {
          Object.assign(unavailable, r.unavailable);
        }
      } catch (e) {
        unavailable.git = `git capture failed: ${(e as Error).message}`;
      }
    }
    const host = captureHost(unavailable);
    const proc = captureProcess(unavailable);
    const runtime = captureRuntime();

    this.runId = runId;
    this.name = name;
    this.path = path;
    this.#t0 = t0;
    this.#head = `{"schema_version":${SCHEMA_VERSION},"exprag_version":${
      JSON.stringify(EXPRAG_VERSION)
    },"run_id":"${runId}","experiment_name":${JSON.stringify(name)},"kind":"`;

    const value: Record<string, unknown> = {
      git,
      host,
      process: proc,
      runtime,
    };
    if (hasMetadata) value.metadata = metadata ?? null;
    value.unavailable = unavailable;
    this.#trackPrefix = this.#head + 'track","created_at":"';
    const line = this.#head + 'run_start","created_at":"' +
      new Date(startMs).toISOString() + '","elapsed_ms":0,"value":' +
      JSON.stringify(value) + "}\n";

    const writer = new RunWriter(path);
    try {
      writer.writeLine(line);
    } catch (e) {
      writer.close();
      try {
        Deno.removeSync(path);
      } catch { /* leave the empty file */ }
      throw e;
    }
    this.#writer = writer;
    this.#participant = {
      handleSignals: options.handleSignals === true,
      processEnd: (info, tentative) => this.#processEnd(info, tentative),
    };
    register(this.#participant);
  }

  /**
   * Appends one `track` record. When this returns, the record is in the
   * kernel: a crash right after (even SIGKILL) loses nothing.
   *
   * Values are encoded as documented in {@linkcode encodeValue} (NaN and
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
   * @example
   * ```ts ignore
   * import { Experiment } from "@exprag/cli";
   * using exp = new Experiment("demo");
   * exp.track({ step: 1, metrics: { loss: 0.5, acc: 0.8 } }, { note: "epoch 1" });
   * ```
   */
  track(value: unknown, options?: TrackOptions): void {
    if (this.#ended) {
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
    const encoded = encoder.encode(value);
    let json: string | undefined;
    try {
      json = JSON.stringify(encoded);
    } catch (e) {
      throw new TypeError(
        `cannot encode value: ${(e as Error).message}`,
        { cause: e },
      );
    }
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
      writer.setTrackHead(
        this.#trackPrefix + isoNow(Date.now()) + '","elapsed_ms":' + ms +
          (note === undefined
            ? ',"value":'
            : ',"note":' + JSON.stringify(note) + ',"value":'),
      );
    }
    writer.writeTrack(json ?? "null");
    this.#count++;
    const n = encoder.leafCount;
    if (n > 0) {
      const paths = encoder.leafPaths;
      const values = encoder.leafValues;
      const summary = this.#summary;
      for (let i = 0; i < n; i++) summary.addNumber(paths[i], values[i], ms);
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
   * @example
   * ```ts ignore
   * import { Experiment } from "@exprag/cli";
   * const exp = new Experiment("demo");
   * try {
   *   exp.track({ loss: 0.1 });
   *   exp.end();
   * } catch (error) {
   *   exp.end({ error });
   *   throw error;
   * }
   * ```
   */
  end(options: EndOptions = {}): void {
    if (this.#ended) return;
    const { status, error } = options ?? {};
    if (status !== undefined && !STATUSES.has(status)) {
      throw new TypeError(
        `end(): status must be "finished", "failed" or "interrupted", got ${
          String(status)
        }`,
      );
    }
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
   *
   * @example
   * ```ts ignore
   * import { Experiment } from "@exprag/cli";
   * {
   *   using exp = new Experiment("scoped");
   *   exp.track({ loss: 1 });
   * } // run_end written here
   * ```
   */
  [Symbol.dispose](): void {
    this.end();
  }

  #elapsed(): number {
    return Math.round(performance.now() - this.#t0);
  }

  #runEndLine(info: ExitInfo): string {
    const ms = this.#elapsed();
    const value: Record<string, unknown> = {
      status: info.status,
      exit_code: info.exitCode,
    };
    if ("error" in info) value.error = errorInfo(info.error);
    if (info.signal !== undefined) value.signal = info.signal;
    value.track_count = this.#count;
    value.duration_ms = ms;
    value.summary = this.#summary.toJSON();
    value.summary_truncated = this.#summary.truncated;
    return this.#head + 'run_end","created_at":"' + isoNow(Date.now()) +
      '","elapsed_ms":' + ms + ',"value":' + JSON.stringify(value) + "}\n";
  }

  /** Writes run_end and syncs; the file stays open. */
  #finish(info: ExitInfo, tentative: boolean): void {
    this.#writer.checkLinked();
    const offset = this.#writer.size;
    const bytes = this.#writer.writeLine(this.#runEndLine(info));
    this.#ended = true;
    this.#tentative = tentative;
    this.#endOffset = offset;
    this.#endBytes = bytes;
    this.#writer.sync();
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
    const offset = this.#endOffset;
    const original = this.#endBytes;
    writer.reopen(offset + original.length);
    writer.truncate(offset);
    const amended = writer.writeLine(this.#runEndLine(info));
    writer.sync();
    this.#endBytes = amended;
    return () => {
      writer.truncate(offset);
      writer.writeLine(original);
      writer.sync();
      writer.close();
      this.#endBytes = original;
    };
  }
}
