/**
 * The options of {@linkcode Experiment} and its methods, and their
 * validation.
 *
 * @module
 */
import { DEFAULT_SNAPSHOT_TIMEOUT_MS } from "../git/types.ts";
import { expragDir } from "../dir.ts";
import { END_STATUSES, type EndStatus } from "../record.ts";

export type { EndStatus };

/**
 * Options of {@linkcode Experiment}. Writing the run requires
 * `--allow-write` for the runs directory (`--allow-write=.exprag`); `git`
 * capture needs `--allow-run=git` (and `--allow-read` for the worktree).
 *
 * @example Every option
 * ```ts
 * import { Experiment, type ExperimentOptions } from "@exprag/cli";
 *
 * const options: ExperimentOptions = {
 *   metadata: { hparams: { lr: 0.03 } },
 *   dir: Deno.makeTempDirSync(), // default: EXPRAG_DIR if granted, else .exprag
 *   git: false, // default "snapshot": the exact code, on branch run/<run_id>
 *   handleSignals: false, // true: SIGINT/SIGTERM write an interrupted run_end
 *   snapshotMaxFileBytes: 10 * 1024 * 1024,
 * };
 * new Experiment("train", options).end();
 * Deno.removeSync(options.dir!, { recursive: true });
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
 * @example A note for the agent reading the run
 * ```ts
 * import { Experiment, selectValues, type TrackOptions } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * {
 *   using exp = new Experiment("train", { dir, git: false });
 *   const options: TrackOptions = { note: "validation after epoch 3" };
 *   exp.track({ epoch: 3, val: { acc: 0.91 } }, options);
 * }
 * const [row] = await selectValues("value.val.acc", { dir });
 * equal(row.note, "validation after epoch 3");
 * Deno.removeSync(dir, { recursive: true });
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
 * @example A run that failed with an error
 * ```ts
 * import { type EndOptions, Experiment, resolveRun } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * const options: EndOptions = { error: new Error("loss diverged") };
 * new Experiment("train", { dir, git: false }).end(options); // status "failed"
 * const run = await resolveRun("latest", { dir });
 * equal(run.status, "failed");
 * equal(run.end?.error?.message, "loss diverged");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface EndOptions {
  /** The final status; default `"failed"` when `error` is given, else `"finished"`. */
  status?: EndStatus;
  /** The error that ended the run; recorded as `{name, message, stack}`. */
  error?: unknown;
}

/** Untracked files above this size are left out of snapshots by default. */
const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

/** {@linkcode ExperimentOptions} after validation, defaults applied. */
export interface StartSettings {
  /** The git mode. */
  gitMode: "snapshot" | "state" | false;
  /** The snapshot's size limit for untracked files. */
  maxFileBytes: number;
  /** The time limit of the capture's git commands that may run filters. */
  timeoutMs: number;
  /** The exprag directory, as given. */
  dir: string;
  /** Whether SIGINT/SIGTERM are handled. */
  handleSignals: boolean;
}

/**
 * Validates the constructor's arguments and applies the defaults.
 *
 * @param name The experiment name.
 * @param options The options.
 * @returns The settings.
 * @throws {TypeError} For a blank name or invalid options.
 */
export function startSettings(
  name: unknown,
  options: ExperimentOptions,
): StartSettings {
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
  const maxFileBytes = options.snapshotMaxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
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
  const dir = options.dir ?? expragDir();
  if (typeof dir !== "string" || dir === "") {
    throw new TypeError("options.dir must be a non-empty string");
  }
  return {
    gitMode,
    maxFileBytes,
    timeoutMs,
    dir,
    handleSignals: options.handleSignals === true,
  };
}

/**
 * Validates `end()`'s status.
 *
 * @param status The status given, if any.
 * @throws {TypeError} For an unknown status.
 */
export function checkEndStatus(status: unknown): void {
  if (status !== undefined && !END_STATUSES.has(status as string)) {
    throw new TypeError(
      `end(): status must be "finished", "failed" or "interrupted", got ${
        String(status)
      }`,
    );
  }
}
