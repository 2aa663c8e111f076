/**
 * The one reader of Linux's `/proc`, for the tracker (boot id, the
 * process's start time) and the reader (is a recorded process alive?).
 *
 * Deno 2.9 reads `/proc` only when every permission is granted without a
 * scope (`--allow-all`, or each of `--allow-read --allow-write --allow-net
 * --allow-env --allow-run --allow-ffi --allow-sys --allow-import`): with
 * read granted for the path but anything else missing or scoped, the read
 * throws `NotCapable`; with read not granted for `/proc` (e.g.
 * `--allow-read=.exprag`), Deno prompts on a terminal. So this module
 * queries all of them first (never prompting) and touches `/proc` only when
 * all are granted; otherwise every function answers "unavailable" with the
 * reason.
 *
 * @module
 */

/** A value read from `/proc`, or why it could not be. */
export type ProcResult<T> = { value: T } | { unavailable: string };

/** The permissions Deno needs, unscoped, before it lets a script read `/proc`. */
export const PROC_PERMISSIONS = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "ffi",
  "sys",
  "import",
] as const;

/**
 * Why `/proc` cannot be read here, or `null` when it can (Linux, and every
 * permission of {@linkcode PROC_PERMISSIONS} granted). Never prompts.
 *
 * @returns The reason, e.g. "Deno allows reading /proc only with all
 *   permissions (--allow-all)".
 */
export function procUnavailable(): string | null {
  if (Deno.build.os !== "linux") {
    return `/proc is not available on ${Deno.build.os}`;
  }
  for (const name of PROC_PERMISSIONS) {
    let state: Deno.PermissionState;
    try {
      state = Deno.permissions.querySync({ name } as Deno.PermissionDescriptor)
        .state;
    } catch {
      state = "denied";
    }
    if (state !== "granted") {
      return "Deno allows reading /proc only with all permissions (--allow-all)";
    }
  }
  return null;
}

/**
 * Reads a file under `/proc` when Deno allows it (see
 * {@linkcode procUnavailable}); never prompts.
 *
 * @param path The file, e.g. `/proc/self/stat`.
 * @returns Its text, or why it could not be read (the reason names the path).
 */
export function readProcFile(path: string): ProcResult<string> {
  const why = procUnavailable();
  if (why !== null) return { unavailable: why.replace("/proc", path) };
  try {
    return { value: Deno.readTextFileSync(path) };
  } catch (e) {
    return { unavailable: `cannot read ${path}: ${(e as Error).message}` };
  }
}

/**
 * This boot's id, `/proc/sys/kernel/random/boot_id`.
 *
 * @returns The id (trimmed), or why it is unavailable.
 */
export function bootId(): ProcResult<string> {
  const r = readProcFile("/proc/sys/kernel/random/boot_id");
  return "value" in r ? { value: r.value.trim() } : r;
}

/**
 * Parses field 22 (starttime) of a `/proc/<pid>/stat` line.
 *
 * @param stat The file's text.
 * @returns The start time in clock ticks since boot, or `null`.
 */
export function parseStartTicks(stat: string): number | null {
  // Field 2 (comm) is in parentheses and may contain spaces or ')'.
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  const fields = stat.slice(close + 2).split(" ");
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const n = Number(fields[19]);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * A process's start time since boot, in clock ticks (field 22 of
 * `/proc/<pid>/stat`).
 *
 * @param pid The process id, or `"self"`.
 * @returns The ticks, or why they are unavailable.
 */
export function startTicks(pid: number | "self"): ProcResult<number> {
  const path = `/proc/${pid}/stat`;
  const r = readProcFile(path);
  if (!("value" in r)) return r;
  const ticks = parseStartTicks(r.value);
  return ticks === null ? { unavailable: `cannot parse ${path}` } : {
    value: ticks,
  };
}

/**
 * The boot time, `btime` of `/proc/stat`, in seconds since the epoch.
 *
 * @returns The seconds, or why they are unavailable.
 */
export function bootTime(): ProcResult<number> {
  const r = readProcFile("/proc/stat");
  if (!("value" in r)) return r;
  const m = /^btime (\d+)$/m.exec(r.value);
  return m === null ? { unavailable: "cannot parse /proc/stat" } : {
    value: Number(m[1]),
  };
}

/**
 * Whether a process exists (`/proc/<pid>` is there).
 *
 * @param pid The process id.
 * @returns `true`/`false`, or why it cannot be told.
 */
export function processExists(pid: number): ProcResult<boolean> {
  const why = procUnavailable();
  if (why !== null) return { unavailable: why };
  try {
    Deno.statSync(`/proc/${pid}`);
    return { value: true };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { value: false };
    return {
      unavailable: `cannot stat /proc/${pid}: ${(e as Error).message}`,
    };
  }
}
