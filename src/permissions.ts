/**
 * Permission checks that never prompt: every capability is queried with
 * `Deno.permissions.querySync` before use.
 *
 * @module
 */

/** A permission descriptor understood by {@linkcode granted}. */
export type PermissionDescriptor = Deno.PermissionDescriptor;

/**
 * Tells whether a permission is granted, without ever prompting.
 *
 * @param desc The permission to query.
 * @returns `true` only when the state is `"granted"`.
 */
export function granted(desc: PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(desc).state === "granted";
  } catch {
    return false;
  }
}

/**
 * The command-line flag that grants a permission, for error messages.
 *
 * @param desc The permission.
 * @returns For example `--allow-read=.exprag` or `--allow-run=git`.
 */
export function flagFor(desc: PermissionDescriptor): string {
  switch (desc.name) {
    case "read":
    case "write":
      return `--allow-${desc.name}${desc.path ? `=${desc.path}` : ""}`;
    case "run":
      return `--allow-run${desc.command ? `=${desc.command}` : ""}`;
    case "env":
      return `--allow-env${desc.variable ? `=${desc.variable}` : ""}`;
    case "sys":
      return `--allow-sys${desc.kind ? `=${desc.kind}` : ""}`;
    case "net":
      return `--allow-net${desc.host ? `=${desc.host}` : ""}`;
    case "ffi":
      return "--allow-ffi";
    default:
      return `--allow-${(desc as { name: string }).name}`;
  }
}

/**
 * A short reason for a capability that is not granted, naming the flag to add.
 *
 * @param desc The permission that is missing.
 * @returns For example `run permission for git not granted (--allow-run=git)`.
 */
export function deniedReason(desc: PermissionDescriptor): string {
  let what = "";
  switch (desc.name) {
    case "read":
    case "write":
      what = desc.path ? ` for ${desc.path}` : "";
      break;
    case "run":
      what = desc.command ? ` for ${desc.command}` : "";
      break;
    case "env":
      what = desc.variable ? ` for ${desc.variable}` : "";
      break;
    case "sys":
      what = desc.kind ? ` for ${desc.kind}` : "";
      break;
  }
  return `${desc.name} permission${what} not granted (${flagFor(desc)})`;
}
