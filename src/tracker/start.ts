/**
 * What `run_start` records: the code state, host, process and runtime,
 * each captured without prompting, with the reasons for what is missing.
 *
 * @module
 */
import { resolve } from "../path.ts";
import { deniedReason, granted } from "../permissions.ts";
import { createExpragDir } from "../dir.ts";
import { makeDir } from "../make_dir.ts";
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

/** Whether the "code state not captured" line was printed (once per process). */
let warned = false;

/** Reasons for `git: null` that mean "no worktree here": nothing to say. */
const NO_WORKTREE = new Set([
  "not a git repository",
  "not inside a git work tree",
]);

/**
 * Why the run's exact code was not captured although the user asked for
 * it (`git` not false) and the run is in a git worktree: git cannot be
 * run (not granted, not installed), git refused or failed (`git: null`,
 * e.g. dubious ownership), or the worktree is dirty and the snapshot
 * failed or timed out (`mode: "state"` in mode `"snapshot"`).
 *
 * @returns The reason, or null when the code was captured, not asked for,
 *   or there is no worktree.
 */
function lostReason(
  mode: "snapshot" | "state",
  r: { git: GitState | null; reason?: string; unavailable?: Unavailable },
): string | null {
  if (r.git === null) {
    const why = r.reason ?? "unknown reason";
    return NO_WORKTREE.has(why) ? null : why;
  }
  const snap = r.unavailable?.["git.snapshot"];
  if (mode === "snapshot" && r.git.dirty && r.git.mode === "state") {
    return typeof snap === "string" ? snap : "no snapshot was taken";
  }
  return null;
}

/**
 * Says once per process on stderr that the run's exact code is not
 * captured (see {@linkcode lostReason}): the run goes on, but `checkout`
 * would fail (or give only the base commit) weeks later.
 */
function warnNotCaptured(reason: string): void {
  if (warned) return;
  warned = true;
  const line = reason.replace(/\s*[\r\n]+\s*/g, " ");
  try {
    Deno.stderr.writeSync(
      new TextEncoder().encode(`exprag: code state not captured: ${line}\n`),
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
    const lost = lostReason(o.gitMode, r);
    if (lost !== null) warnNotCaptured(lost);
    // "git.snapshot", "git.index", "git.skipped" (docs/design.md)
    if (r.unavailable !== undefined) Object.assign(unavailable, r.unavailable);
    return { git: r.git, discard: r.discard };
  } catch (e) {
    unavailable.git = `git capture failed: ${(e as Error).message}`;
    warnNotCaptured(unavailable.git);
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
  createExpragDir(absDir);
  try {
    makeDir(runsDir);
  } catch (e) {
    throw new Error(`exprag: ${(e as Error).message}`, { cause: e });
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
