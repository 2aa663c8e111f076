/**
 * Run status: from `run_end` when present, else inferred from the run
 * file's lock (exprag for Deno, told by `run_start.value.runtime.deno`) or
 * from the recorded host and process (Python exprag files, never locked).
 * Never prompts: a missing permission only weakens the inference, and the
 * reason says which flag would help.
 *
 * @module
 */

import { deniedReason, granted } from "../permissions.ts";
import { bootId, bootTime, processExists, startTicks } from "../procfs.ts";
import { tryParseTimestamp } from "./time.ts";
import type { RunEnd, RunState } from "./types.ts";

/** An inferred status and why it was chosen. */
export interface StatusInference {
  /** The status. */
  status: RunState;
  /** Why (null when read from run_end). */
  reason: string | null;
}

/** What {@linkcode inferStatus} looks at. */
export interface StatusInput {
  /** The run file. */
  file: string;
  /** The run_start value (host, process). */
  start: Record<string, unknown>;
  /**
   * Whether exprag for Deno wrote the file (run_start records
   * `runtime.deno`; see {@linkcode isDenoRunStart}): only its files are
   * locked while live.
   */
  deno: boolean;
  /** `created_at` of run_start. */
  started_at: string | null;
  /** `created_at` of the last record. */
  last_at: string | null;
  /** The run_end value, or null. */
  end: RunEnd | null;
}

/**
 * Tells whether a run_start value was written by exprag for Deno: it
 * records `runtime.deno`, which the Python exprag never writes (both write
 * `exprag_version`, so that key tells nothing).
 *
 * @param start The run_start value.
 * @returns `true` when `start.runtime.deno` is a string.
 * @example
 * ```ts
 * import { isDenoRunStart } from "./status.ts";
 * isDenoRunStart({ runtime: { deno: "2.9.6" } }); // true
 * isDenoRunStart({ host: { hostname: "gpu-7" } }); // false
 * ```
 */
export function isDenoRunStart(start: Record<string, unknown>): boolean {
  const runtime = start.runtime;
  return runtime !== null && typeof runtime === "object" &&
    typeof (runtime as Record<string, unknown>).deno === "string";
}

/**
 * Tells whether a live process holds the tracker's exclusive lock on a run
 * file: opens it read-only and tries a shared lock without waiting (the
 * lock is released at once when acquired).
 *
 * Requires `--allow-read` for the file.
 *
 * @param file The run file.
 * @returns `true` when locked by a live tracker, `false` when not,
 *   `undefined` when the file cannot be opened.
 *
 * @example Locked while the tracker runs
 * ```ts
 * import { isLocked } from "./status.ts";
 * import { Experiment } from "../tracker/experiment.ts";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * const exp = new Experiment("t", { dir, git: false });
 * equal(isLocked(exp.path), true);
 * exp.end();
 * equal(isLocked(exp.path), false);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function isLocked(file: string): boolean | undefined {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(file, { read: true });
  } catch {
    return undefined;
  }
  try {
    const got = f.tryLockSync(false);
    if (got) f.unlockSync();
    return !got;
  } catch {
    return undefined;
  } finally {
    f.close();
  }
}

let _hostname: string | null | undefined;
function thisHost(): string | null {
  if (_hostname !== undefined) return _hostname;
  _hostname = null;
  if (granted({ name: "sys", kind: "hostname" })) {
    try {
      _hostname = Deno.hostname();
    } catch {
      _hostname = null;
    }
  }
  return _hostname;
}

let _bootId: string | null | undefined;
function thisBootId(): string | null {
  if (_bootId === undefined) {
    const r = bootId();
    _bootId = "value" in r ? r.value : null;
  }
  return _bootId;
}

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** What is known about a process. */
type ProcessProbe =
  | { alive: false }
  | { alive: true; startNs: bigint | undefined }
  | { error: string };

/** Through /proc (only with --allow-all in Deno); undefined when not readable. */
function probeProc(pid: number): ProcessProbe | undefined {
  const exists = processExists(pid);
  if (!("value" in exists)) return undefined;
  if (!exists.value) return { alive: false };
  const ticks = startTicks(pid);
  const btime = bootTime();
  if (!("value" in ticks) || !("value" in btime)) {
    return { alive: true, startNs: undefined };
  }
  return {
    alive: true,
    startNs: BigInt(btime.value) * 1_000_000_000n +
      BigInt(Math.round((ticks.value / USER_HZ) * 1e9)),
  };
}

/** `[[dd-]hh:]mm:ss` → seconds. */
function parseEtime(text: string): number | undefined {
  const m = /^(?:(?:(\d+)-)?(\d+):)?(\d+):(\d+)$/.exec(text.trim());
  if (m === null) return undefined;
  return ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3])) *
      60 + Number(m[4]);
}

/** Through `ps -o etime= -p PID` (needs --allow-run=ps). */
function probePs(pid: number): ProcessProbe {
  if (!granted({ name: "run", command: "ps" })) {
    return {
      error: `${
        deniedReason({ name: "run", command: "ps" })
      }; /proc needs --allow-all`,
    };
  }
  try {
    const out = new Deno.Command("ps", {
      args: ["-o", "etime=", "-p", String(pid)],
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).outputSync();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (text === "") {
      return out.success ? { error: "ps gave no answer" } : { alive: false };
    }
    const secs = parseEtime(text);
    const now = BigInt(Date.now()) * 1_000_000n;
    return {
      alive: true,
      startNs: secs === undefined
        ? undefined
        : now - BigInt(secs) * 1_000_000_000n,
    };
  } catch (e) {
    return {
      error: `ps failed: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

/** Every run state, the tracker's end states first. */
export const RUN_STATES: readonly RunState[] = [
  "finished",
  "failed",
  "interrupted",
  "running",
  "crashed",
  "unknown",
];

const _probeCache = new Map<number, ProcessProbe>();
/** Forgets probed processes (called at the start of each listing). @internal */
export function _resetProbes(): void {
  _probeCache.clear();
}
function probeProcess(pid: number): ProcessProbe {
  let p = _probeCache.get(pid);
  if (p === undefined) {
    p = probeProc(pid) ?? probePs(pid);
    _probeCache.set(pid, p);
  }
  return p;
}

function lastSeen(input: StatusInput): string {
  return input.last_at === null ? "" : `; last record at ${input.last_at}`;
}

/**
 * Infers a run's status. With a `run_end`: its status. Without one, for a
 * file of exprag for Deno (`run_start.value.runtime.deno` recorded): a
 * tracker that is alive holds an exclusive lock on the file → `running`;
 * not locked → `crashed` (or `unknown` when its recorded hostname differs
 * from this host, whose locks we cannot see). Other files (the Python
 * exprag's, which never lock; its records carry `exprag_version` too) are
 * never judged by locks: this host and `/proc/<pid>` alive and started
 * before the run → `running`; this host and gone → `crashed`; another host
 * or undeterminable → `unknown`, with the reason.
 *
 * Requires `--allow-read` for the exprag directory. For Python files the
 * inference also needs `--allow-sys=hostname` and a way to see processes:
 * `--allow-run=ps` (Deno allows `/proc` only with `--allow-all`).
 *
 * @param input The run's file, run_start value and run_end value.
 * @returns The status and the reason for it.
 *
 * @example A run with a run_end takes its status
 * ```ts
 * import { inferStatus } from "./status.ts";
 * import { equal } from "node:assert/strict";
 *
 * const { status } = inferStatus({
 *   file: "/nonexistent/run.jsonl",
 *   start: {},
 *   deno: true,
 *   started_at: null,
 *   last_at: null,
 *   end: { status: "failed" },
 * });
 * equal(status, "failed");
 * ```
 */
export function inferStatus(input: StatusInput): StatusInference {
  if (input.end !== null) return endStatus(input.end);
  return input.deno ? lockStatus(input) : processStatus(input);
}

/** A failed run's error as one line (`TypeError: bad batch`), or null. */
function errorText(end: RunEnd): string | null {
  const e = end.error as { name?: unknown; message?: unknown } | undefined;
  if (e === null || typeof e !== "object") return null;
  const message = typeof e.message === "string" ? e.message : "";
  const name = typeof e.name === "string" ? e.name : "";
  const text = name && message ? `${name}: ${message}` : name || message;
  // one line: the first line of a multi-line message
  return text === "" ? null : text.split(/\r?\n/)[0];
}

/** The status a run_end records (a failed run's error as its reason). */
function endStatus(end: RunEnd): StatusInference {
  const s = end.status;
  if (s === "failed") return { status: s, reason: errorText(end) };
  if (s === "finished" || s === "interrupted") {
    return { status: s, reason: null };
  }
  return {
    status: "unknown",
    reason: `run_end has an unknown status ${JSON.stringify(s)}`,
  };
}

/** The `host` object of run_start, when there is one. */
function hostOf(input: StatusInput): Record<string, unknown> | null {
  return (input.start.host ?? null) as Record<string, unknown> | null;
}

/** The hostname run_start records, or null. */
function recordedHost(input: StatusInput): string | null {
  const host = hostOf(input);
  return typeof host?.hostname === "string" ? host.hostname : null;
}

/** A file of exprag for Deno without run_end: judged by the tracker's lock. */
function lockStatus(input: StatusInput): StatusInference {
  const locked = isLocked(input.file);
  if (locked === true) {
    return {
      status: "running",
      reason: "a live process holds the run file's lock",
    };
  }
  const seen = lastSeen(input);
  if (locked === undefined) {
    return {
      status: "unknown",
      reason: `cannot open the run file to test its lock${seen}`,
    };
  }
  const recorded = recordedHost(input), here = thisHost();
  if (here !== null && recorded !== null && recorded !== here) {
    return {
      status: "unknown",
      reason:
        `no run_end; written on host ${recorded} whose locks are not visible here${seen}`,
    };
  }
  const boot = hostOf(input)?.boot_id;
  const myBoot = thisBootId();
  if (typeof boot === "string" && myBoot !== null && boot !== myBoot) {
    return {
      status: "crashed",
      reason: `no run_end; the host rebooted since the run${seen}`,
    };
  }
  return {
    status: "crashed",
    reason: `no run_end and no process holds the run file's lock${
      unverifiedHost(recorded, here)
    }${seen}`,
  };
}

/**
 * The caveat of a lock test on a file recorded on a host this reader cannot
 * compare with its own (no `--allow-sys=hostname`): a run on another machine
 * (a synced or shared runs directory) holds no lock visible here.
 */
function unverifiedHost(recorded: string | null, here: string | null): string {
  if (recorded === null || here !== null) return "";
  return ` here; written on host ${recorded}, which could not be compared with this one (${
    deniedReason({ name: "sys", kind: "hostname" })
  }): a run on another host may still be running`;
}

/**
 * A file of another writer (the Python exprag: never locked) without
 * run_end: judged by its recorded host and process.
 */
function processStatus(input: StatusInput): StatusInference {
  const seen = lastSeen(input);
  const unknown = (why: string): StatusInference => ({
    status: "unknown",
    reason: `no run_end; ${why}${seen}`,
  });
  const recorded = recordedHost(input);
  if (recorded === null) return unknown("no hostname recorded");
  const here = thisHost();
  if (here === null) {
    return unknown(
      `cannot compare hosts: ${
        deniedReason({ name: "sys", kind: "hostname" })
      }`,
    );
  }
  if (recorded !== here) return unknown(`written on host ${recorded}`);
  const proc = (input.start.process ?? null) as Record<string, unknown> | null;
  const pid = proc?.pid;
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) {
    return unknown("no process id recorded");
  }
  const probe = probeProcess(pid);
  if ("error" in probe) {
    return unknown(`cannot check process ${pid}: ${probe.error}`);
  }
  if (!probe.alive) {
    return {
      status: "crashed",
      reason: `no run_end and process ${pid} is gone${seen}`,
    };
  }
  const runStart = tryParseTimestamp(input.started_at);
  if (probe.startNs === undefined || runStart === undefined) {
    return unknown(`process ${pid} exists but its start time is unknown`);
  }
  // 2 s slack: btime has whole seconds, ticks 10 ms.
  if (probe.startNs <= runStart + 2_000_000_000n) {
    return {
      status: "running",
      reason: `process ${pid} on this host is alive`,
    };
  }
  return {
    status: "crashed",
    reason:
      `no run_end; process ${pid} is gone (its pid now belongs to a newer process)${seen}`,
  };
}
