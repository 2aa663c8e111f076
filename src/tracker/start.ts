/**
 * What `run_start` records: the code state, host, process and runtime,
 * each captured without prompting, with the reasons for what is missing.
 *
 * @module
 */
import { resolve } from "node:path";
import { deniedReason, granted } from "../permissions.ts";
import {
  RecordFramer,
  type RunStartValue,
  type Unavailable,
} from "../record.ts";
import { captureGit } from "../git/capture.ts";
import type { GitState } from "../git/types.ts";
import { captureHost } from "./capture/host.ts";
import { captureProcess } from "./capture/process.ts";
import { captureRuntime } from "./capture/runtime.ts";
import type { StartSettings } from "./options.ts";
import { FileAppender } from "./writer.ts";

/** What {@linkcode captureStart} needs. */
export interface StartCapture {
  /** The run id (names the snapshot branch). */
  runId: string;
  /** The absolute exprag directory. */
  expragDir: string;
  /** The git mode. */
  gitMode: "snapshot" | "state" | false;
  /** The snapshot's size limit for untracked files. */
  maxFileBytes: number;
  /** The time limit of the capture's git commands that may run filters. */
  timeoutMs: number;
  /** Whether metadata was given (`metadata` is then recorded, even `null`). */
  hasMetadata: boolean;
  /** The encoded metadata. */
  metadata?: unknown;
}

function gitState(
  o: StartCapture,
  unavailable: Unavailable,
): GitState | null {
  if (o.gitMode === false) {
    unavailable.git = "disabled by the option git: false";
    return null;
  }
  try {
    const r = captureGit({
      mode: o.gitMode,
      runId: o.runId,
      expragDir: o.expragDir,
      maxFileBytes: o.maxFileBytes,
      timeoutMs: o.timeoutMs,
    });
    if (r.reason !== undefined) unavailable.git = r.reason;
    // "git.snapshot", "git.index", "git.skipped" (docs/design.md)
    if (r.unavailable !== undefined) Object.assign(unavailable, r.unavailable);
    return r.git;
  } catch (e) {
    unavailable.git = `git capture failed: ${(e as Error).message}`;
    return null;
  }
}

/**
 * Captures the value of `run_start`, never prompting.
 *
 * @param o The run and what to capture.
 * @returns The value, keys in the recorded order.
 */
export function captureStart(o: StartCapture): RunStartValue {
  const unavailable: Unavailable = {};
  const git = gitState(o, unavailable);
  const host = captureHost(unavailable);
  const proc = captureProcess(unavailable);
  const value: RunStartValue = {
    git,
    host,
    process: proc,
    runtime: captureRuntime(),
  } as RunStartValue;
  if (o.hasMetadata) value.metadata = o.metadata ?? null;
  value.unavailable = unavailable;
  return value;
}

/** A run whose file holds its `run_start`. */
export interface StartedRun {
  /** The run id (UUID v4). */
  runId: string;
  /** The run file's absolute path. */
  path: string;
  /** Frames the run's lines. */
  frame: RecordFramer;
  /** The run file, open and locked. */
  writer: FileAppender;
}

/**
 * Creates the run file (locked) and writes `run_start`: checks the write
 * permission first (never prompting), creates `<dir>/runs`, captures the
 * context. On failure no file is left behind.
 *
 * @param name The experiment name.
 * @param o The settings, the encoded metadata, the start time.
 * @returns The run.
 * @throws {Deno.errors.NotCapable} When writing the runs directory is not
 *   granted (the message names the flag).
 * @throws {Error} When the directory or the file cannot be created or written.
 */
export function startRun(
  name: string,
  o: {
    settings: StartSettings;
    hasMetadata: boolean;
    metadata: unknown;
    startMs: number;
  },
): StartedRun {
  const dir = o.settings.dir;
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
  const value = captureStart({
    runId,
    expragDir: absDir,
    gitMode: o.settings.gitMode,
    maxFileBytes: o.settings.maxFileBytes,
    timeoutMs: o.settings.timeoutMs,
    hasMetadata: o.hasMetadata,
    metadata: o.metadata,
  });
  const frame = new RecordFramer(runId, name);
  const line = frame.line(
    "run_start",
    new Date(o.startMs).toISOString(),
    0,
    value,
  );
  const writer = new FileAppender(path);
  try {
    writer.append(line);
  } catch (e) {
    writer.close();
    try {
      Deno.removeSync(path);
    } catch { /* leave the empty file */ }
    throw e;
  }
  return { runId, path, frame, writer };
}
