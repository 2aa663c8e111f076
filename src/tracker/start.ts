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
import { isGitBlocked } from "../git/exec.ts";
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

/** Whether the "code state not captured" line was printed (once per process). */
let warned = false;

/**
 * Says once per process on stderr that the code state cannot be captured
 * because git cannot be run at all (not granted, or not installed): the
 * run goes on, but `checkout` would fail weeks later.
 */
function warnBlocked(reason: string): void {
  if (warned) return;
  warned = true;
  try {
    Deno.stderr.writeSync(
      new TextEncoder().encode(`exprag: code state not captured: ${reason}\n`),
    );
  } catch {
    // no stderr: the reason is in the record
  }
}

/** The captured code state, and how to remove its refs when the run is not recorded. */
interface CapturedGit {
  git: GitState | null;
  discard?: () => void;
}

function gitState(
  o: StartCapture,
  unavailable: Unavailable,
): CapturedGit {
  if (o.gitMode === false) {
    unavailable.git = "disabled by the option git: false";
    return { git: null };
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
    if (r.git === null && isGitBlocked(r.reason)) warnBlocked(r.reason!);
    // "git.snapshot", "git.index", "git.skipped" (docs/design.md)
    if (r.unavailable !== undefined) Object.assign(unavailable, r.unavailable);
    return { git: r.git, discard: r.discard };
  } catch (e) {
    unavailable.git = `git capture failed: ${(e as Error).message}`;
    return { git: null };
  }
}

/** What {@linkcode captureStart} returns. */
export interface CapturedStart {
  /** The value of `run_start`, keys in the recorded order. */
  value: RunStartValue;
  /** Removes the snapshot refs the capture created (when the run is not recorded after all). */
  discard: () => void;
}

/**
 * Captures the value of `run_start`, never prompting.
 *
 * @param o The run and what to capture.
 * @returns The value, and how to undo the capture's refs.
 */
export function captureStart(o: StartCapture): CapturedStart {
  const unavailable: Unavailable = {};
  const { git, discard = () => {} } = gitState(o, unavailable);
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
  return { value, discard };
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
  const { value, discard } = captureStart({
    runId,
    expragDir: absDir,
    gitMode: o.settings.gitMode,
    maxFileBytes: o.settings.maxFileBytes,
    timeoutMs: o.settings.timeoutMs,
    hasMetadata: o.hasMetadata,
    metadata: o.metadata,
  });
  const frame = new RecordFramer(runId, name);
  let writer: FileAppender;
  try {
    const line = frame.line(
      "run_start",
      new Date(o.startMs).toISOString(),
      0,
      value,
    );
    writer = new FileAppender(path);
    try {
      writer.append(line);
    } catch (e) {
      writer.close();
      try {
        Deno.removeSync(path);
      } catch { /* leave the empty file */ }
      throw e;
    }
  } catch (e) {
    discard(); // no run: no snapshot ref left behind
    throw e;
  }
  return { runId, path, frame, writer };
}
