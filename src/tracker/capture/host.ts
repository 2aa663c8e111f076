/**
 * Host facts for run_start (`host`): what machine ran the experiment. Every
 * capability is queried first; what is not granted becomes `null` plus an
 * `unavailable` entry naming the flag.
 *
 * @module
 */
import { deniedReason, granted } from "../../permissions.ts";

/** The `host` object of run_start.value. */
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

/** Where a missing field's reason goes: `"host.hostname"` → why. */
export type Unavailable = Record<string, string>;

/**
 * Tells whether every permission is granted (`--allow-all`). Deno refuses
 * reads under `/proc` unless it is, even with `--allow-read`.
 *
 * @returns `true` when read, write, net, env, run, ffi, sys and import are all granted.
 */
export function allGranted(): boolean {
  for (
    const name of [
      "read",
      "write",
      "net",
      "env",
      "run",
      "ffi",
      "sys",
      "import",
    ] as const
  ) {
    if (!granted({ name } as Deno.PermissionDescriptor)) return false;
  }
  return true;
}

/**
 * Reads a file under /proc when Deno allows it, else records why not.
 *
 * @param path The /proc file.
 * @param key The `unavailable` key.
 * @param unavailable Collects the reason.
 * @returns The file's text, or `null`.
 */
export function readProc(
  path: string,
  key: string,
  unavailable: Unavailable,
): string | null {
  if (Deno.build.os !== "linux") {
    unavailable[key] = `${path} is not available on ${Deno.build.os}`;
    return null;
  }
  if (!allGranted()) {
    unavailable[key] =
      `Deno allows reading ${path} only with all permissions (--allow-all)`;
    return null;
  }
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    unavailable[key] = `cannot read ${path}: ${(e as Error).message}`;
    return null;
  }
}

function sys(
  kind: "hostname" | "osRelease",
  key: string,
  read: () => string,
  unavailable: Unavailable,
): string | null {
  const desc = { name: "sys", kind } as const;
  if (!granted(desc)) {
    unavailable[key] = deniedReason(desc);
    return null;
  }
  try {
    return read();
  } catch (e) {
    unavailable[key] = `cannot read ${kind}: ${(e as Error).message}`;
    return null;
  }
}

function username(unavailable: Unavailable): string | null {
  const denied: string[] = [];
  for (const variable of ["USER", "LOGNAME", "USERNAME"]) {
    if (!granted({ name: "env", variable })) {
      denied.push(variable);
      continue;
    }
    const v = Deno.env.get(variable);
    if (v) return v;
  }
  unavailable["host.username"] = denied.length === 3
    ? "env permission for USER not granted (--allow-env=USER)"
    : denied.length > 0
    ? `username not found in the granted variables (${
      denied.map((v) => `--allow-env=${v}`).join(", ")
    } not granted)`
    : "none of USER, LOGNAME, USERNAME is set";
  return null;
}

/**
 * Captures the host facts, never prompting.
 *
 * @param unavailable Receives a reason for every field that is `null`.
 * @returns The `host` object.
 */
export function captureHost(unavailable: Unavailable): HostInfo {
  const bootId = readProc(
    "/proc/sys/kernel/random/boot_id",
    "host.boot_id",
    unavailable,
  );
  const cpus = typeof navigator === "object" &&
      typeof navigator.hardwareConcurrency === "number"
    ? navigator.hardwareConcurrency
    : null;
  if (cpus === null) unavailable["host.cpu_count"] = "not reported by Deno";
  return {
    hostname: sys("hostname", "host.hostname", Deno.hostname, unavailable),
    os: Deno.build.os,
    arch: Deno.build.arch,
    username: username(unavailable),
    cpu_count: cpus,
    os_release: sys(
      "osRelease",
      "host.os_release",
      Deno.osRelease,
      unavailable,
    ),
    boot_id: bootId === null ? null : bootId.trim(),
  };
}
