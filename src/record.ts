/**
 * The run record format (docs/design.md): the record kinds, the key order,
 * the typed values of `run_start`, `track` and `run_end`, and the functions
 * that frame a record line. The tracker, the reader's types and every test
 * or bench fixture writer use this module; nothing else knows how a line is
 * put together.
 *
 * A run file holds one JSON object a line:
 * `{"schema_version":1,"exprag_version":"0.1.0","run_id":"…","experiment_name":"…","kind":"track","created_at":"…","elapsed_ms":12,"note":"…","value":…}`.
 * `note` is optional; `value` is always last, so that the tracker can keep
 * everything before it encoded and append only the value's JSON text.
 *
 * @module
 */

import type { PathStats } from "./summary.ts";
import { EXPRAG_VERSION, SCHEMA_VERSION } from "./version.ts";
import type { GitState } from "./git/types.ts";

export type { GitState };

/** The kinds of record, in the order they appear in a run file. */
export const RECORD_KINDS = ["run_start", "track", "run_end"] as const;

/** One of {@linkcode RECORD_KINDS}. */
export type RecordKind = typeof RECORD_KINDS[number];

/**
 * The keys of a record in the order this tracker writes them. Readers accept
 * any order (the Python exprag sorts them).
 */
export const RECORD_KEYS = [
  "schema_version",
  "exprag_version",
  "run_id",
  "experiment_name",
  "kind",
  "created_at",
  "elapsed_ms",
  "note",
  "value",
] as const;

/** One of {@linkcode RECORD_KEYS}. */
export type RecordKey = typeof RECORD_KEYS[number];

/**
 * How a run ended, as the tracker writes it into `run_end.value.status`:
 * `finished` (ended normally), `failed` (an error, a non-zero exit code),
 * `interrupted` (SIGINT/SIGTERM with `handleSignals`, or set by the caller).
 * The reader's `RunState` adds the inferred `running`, `crashed`, `unknown`.
 *
 * @example End a run as interrupted
 * ```ts
 * import { type EndStatus, Experiment, resolveRun } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * const status: EndStatus = "interrupted";
 * new Experiment("train", { dir, git: false }).end({ status });
 * equal((await resolveRun("latest", { dir })).status, "interrupted");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export type EndStatus = "finished" | "failed" | "interrupted";

/** The statuses of {@linkcode EndStatus}, for validation. */
export const END_STATUSES: ReadonlySet<string> = new Set<EndStatus>([
  "finished",
  "failed",
  "interrupted",
]);

/** The `host` object of `run_start.value`. */
export interface HostInfo {
  /** `Deno.hostname()`; needs `--allow-sys=hostname`. */
  hostname: string | null;
  /** `Deno.build.os`. */
  os: string;
  /** `Deno.build.arch`. */
  arch: string;
  /** From `USER`, `LOGNAME` or `USERNAME`; needs `--allow-env` for them. */
  username: string | null;
  /** `navigator.hardwareConcurrency`. */
  cpu_count: number | null;
  /** `Deno.osRelease()`; needs `--allow-sys=osRelease`. */
  os_release: string | null;
  /** `/proc/sys/kernel/random/boot_id` (Linux; Deno needs `--allow-all` for /proc). */
  boot_id: string | null;
}

/** The `process` object of `run_start.value`. */
export interface ProcessInfo {
  /** `Deno.pid`. */
  pid: number;
  /** `Deno.ppid`. */
  ppid: number | null;
  /** The working directory at start. */
  cwd: string | null;
  /** `[Deno.execPath(), main module, ...Deno.args]`, secrets redacted. */
  argv: string[];
  /** Field 22 of `/proc/self/stat` (start time since boot, clock ticks). */
  start_ticks: number | null;
  /** `Deno.execPath()`. */
  exec_path: string | null;
}

/** The `runtime` object of `run_start.value`. */
export interface RuntimeInfo {
  /** Deno's version. */
  deno: string;
  /** V8's version. */
  v8: string;
  /** TypeScript's version. */
  typescript: string;
}

/** Why a field is missing: `"host.hostname"` → the reason (naming the flag). */
export type Unavailable = Record<string, string>;

/** The `value` of a `run_start` record. */
export interface RunStartValue {
  /** The code state, or `null` when not captured (see `unavailable.git`). */
  git: GitState | null;
  /** The machine. */
  host: HostInfo;
  /** The process. */
  process: ProcessInfo;
  /** The runtime versions. */
  runtime: RuntimeInfo;
  /** The user's metadata, encoded like track values; absent when not given. */
  metadata?: unknown;
  /** Why some fields are `null` or partial. */
  unavailable: Unavailable;
}

/**
 * An error as recorded (in `run_end.value.error`).
 *
 * @example The error that failed a run
 * ```ts
 * import { type ErrorInfo, Experiment, resolveRun } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * new Experiment("train", { dir, git: false }).end({ error: new TypeError("bad batch") });
 * const error: Partial<ErrorInfo> | undefined = (await resolveRun("latest", { dir })).end?.error;
 * equal(error?.name, "TypeError");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface ErrorInfo {
  /** The error's name, e.g. `TypeError`. */
  name: string;
  /** Its message. */
  message: string;
  /** Its stack, or `null`. */
  stack: string | null;
}

/**
 * The `value` of a `run_end` record, as the tracker writes it (readers get
 * it as `RunEnd`, where every field but `status` may be missing).
 *
 * @example The record count and duration of a finished run
 * ```ts
 * import { Experiment, resolveRun, type RunEndValue } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * const exp = new Experiment("train", { dir, git: false });
 * exp.track({ loss: 0.5 });
 * exp.end();
 * const end = (await resolveRun("latest", { dir })).end;
 * const count: RunEndValue["track_count"] | undefined = end?.track_count;
 * equal(count, 1);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface RunEndValue {
  /** How the run ended. */
  status: EndStatus;
  /** The process exit code, when known (`null` for `end()` in a live process). */
  exit_code: number | null;
  /** The error of a failed run. */
  error?: ErrorInfo;
  /** The signal of an interrupted run. */
  signal?: "SIGINT" | "SIGTERM";
  /** Number of track records. */
  track_count: number;
  /** `elapsed_ms` at the end. */
  duration_ms: number;
  /** Per-path statistics of numeric leaves. */
  summary: Record<string, PathStats>;
  /** Whether some paths were left out of `summary`. */
  summary_truncated: boolean;
}

/** The fields every record has, before its value. */
export interface RecordHead<K extends RecordKind = RecordKind> {
  /** {@linkcode SCHEMA_VERSION}. */
  schema_version: number;
  /** The version of exprag for Deno that wrote it (the Python exprag writes its own). */
  exprag_version?: string;
  /** The run id. */
  run_id: string;
  /** The experiment name. */
  experiment_name: string;
  /** The kind. */
  kind: K;
  /** RFC 3339 wall-clock time. */
  created_at: string;
  /** Monotonic milliseconds since the run started. */
  elapsed_ms: number;
  /** An optional note. */
  note?: string;
}

/** A `run_start` record. */
export interface RunStartRecord extends RecordHead<"run_start"> {
  /** The context of the run. */
  value: RunStartValue;
}

/** A `track` record. */
export interface TrackRecord extends RecordHead<"track"> {
  /** The tracked value, encoded. */
  value: unknown;
}

/** A `run_end` record. */
export interface RunEndRecord extends RecordHead<"run_end"> {
  /** How the run ended. */
  value: RunEndValue;
}

/** Any record this tracker writes. */
export type RunRecord = RunStartRecord | TrackRecord | RunEndRecord;

/**
 * Tells whether a value is one of the {@linkcode RECORD_KINDS}.
 *
 * @param kind Anything, e.g. a parsed record's `kind`.
 * @returns `true` for `run_start`, `track` and `run_end`.
 */
export function isRecordKind(kind: unknown): kind is RecordKind {
  return kind === "run_start" || kind === "track" || kind === "run_end";
}

/** What ends every record line: the record's closing brace and the newline. */
export const LINE_END = "}\n";

/**
 * Frames the record lines of one run. The constant start of every line
 * (schema and package version, run id, name) is serialised once; a line is
 * then `head(kind, …) + JSON.stringify(value) + LINE_END`.
 *
 * @example A track line
 * ```ts
 * import { RecordFramer } from "./record.ts";
 * import { equal } from "node:assert/strict";
 *
 * const frame = new RecordFramer("3f2a9c1e-0000-4000-8000-000000000000", "train");
 * const line = frame.line("track", "2026-11-26T07:08:34.719Z", 12, { loss: 1 });
 * equal(JSON.parse(line).value.loss, 1);
 * equal(line.endsWith("}\n"), true);
 * ```
 */
export class RecordFramer {
  readonly #prefix: string;

  /**
   * @param runId The run id.
   * @param name The experiment name.
   */
  constructor(runId: string, name: string) {
    this.#prefix = `{"schema_version":${SCHEMA_VERSION},"exprag_version":${
      JSON.stringify(EXPRAG_VERSION)
    },"run_id":${JSON.stringify(runId)},"experiment_name":${
      JSON.stringify(name)
    },"kind":"`;
  }

  /**
   * The text of a record up to its value, ending in `"value":`.
   *
   * @param kind The record kind.
   * @param createdAt `created_at` (an ISO time; written as is).
   * @param elapsedMs `elapsed_ms`.
   * @param note The optional note.
   * @returns The head, to be followed by the value's JSON and {@linkcode LINE_END}.
   */
  head(
    kind: RecordKind,
    createdAt: string,
    elapsedMs: number,
    note?: string,
  ): string {
    return this.#prefix + kind + '","created_at":"' + createdAt +
      '","elapsed_ms":' + elapsedMs +
      (note === undefined
        ? ',"value":'
        : ',"note":' + JSON.stringify(note) + ',"value":');
  }

  /**
   * A whole record line.
   *
   * @param kind The record kind.
   * @param createdAt `created_at`.
   * @param elapsedMs `elapsed_ms`.
   * @param value The value (already encoded: plain JSON values).
   * @param note The optional note.
   * @returns The line, ending in a newline.
   */
  line(
    kind: RecordKind,
    createdAt: string,
    elapsedMs: number,
    value: unknown,
    note?: string,
  ): string {
    return this.head(kind, createdAt, elapsedMs, note) +
      (JSON.stringify(value) ?? "null") + LINE_END;
  }
}

/** Options of {@linkcode formatRecord}. */
export interface FormatRecordOptions {
  /**
   * The key order: {@linkcode RECORD_KEYS} (default), `"sorted"` (as the
   * Python exprag's serde_json writes them), or a list (keys not in it
   * follow in their own order).
   */
  keyOrder?: readonly string[] | "sorted";
}

/**
 * Formats a record object as one JSON line (without the newline), with its
 * keys in a record order: known keys first in that order, other keys in
 * their own order, then `value` when the order does not place it. Keys whose
 * value is `undefined` are left out. For fixtures, tools and hand-made files;
 * the tracker frames its lines with {@linkcode RecordFramer}, which gives
 * the same bytes.
 *
 * @param fields The record's keys and values (any, even malformed ones).
 * @param options The key order.
 * @returns The JSON text of the record.
 *
 * @example Keys in record order
 * ```ts
 * import { formatRecord } from "./record.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(
 *   formatRecord({ value: 1, kind: "track", run_id: "x", schema_version: 1 }),
 *   '{"schema_version":1,"run_id":"x","kind":"track","value":1}',
 * );
 * ```
 */
export function formatRecord(
  fields: Readonly<Record<string, unknown>>,
  options: FormatRecordOptions = {},
): string {
  const order = options.keyOrder ?? RECORD_KEYS;
  const keys = Object.keys(fields);
  let sorted: string[];
  if (order === "sorted") {
    sorted = keys.sort();
  } else {
    const known = order.filter((k) => Object.hasOwn(fields, k));
    const rest = keys.filter((k) => !order.includes(k) && k !== "value");
    sorted = [...known.filter((k) => k !== "value"), ...rest];
    if (Object.hasOwn(fields, "value")) {
      // value last unless the order puts something after it
      const at = order.indexOf("value");
      if (at < 0 || at === order.length - 1) sorted.push("value");
      else sorted = [...known, ...rest];
    }
  }
  const o: Record<string, unknown> = {};
  for (const k of sorted) o[k] = fields[k];
  return JSON.stringify(o);
}
