/**
 * Host facts for run_start (`host`): what machine ran the experiment. Every
 * capability is queried first; what is not granted becomes `null` plus an
 * `unavailable` entry naming the flag.
 *
 * @module
 */
import { deniedReason, granted } from "../../permissions.ts";
import { bootId } from "../../procfs.ts";
import type { HostInfo, Unavailable } from "../../record.ts";

export type { HostInfo, Unavailable };

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
  const boot = bootId();
  if ("unavailable" in boot) unavailable["host.boot_id"] = boot.unavailable;
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
    boot_id: "value" in boot ? boot.value : null,
  };
}
