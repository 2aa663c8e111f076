/**
 * Runtime versions for run_start (`runtime`). Needs no permissions.
 *
 * @module
 */

/** The `runtime` object of run_start.value. */
export interface RuntimeInfo {
  /** Deno's version. */
  deno: string;
  /** V8's version. */
  v8: string;
  /** TypeScript's version. */
  typescript: string;
}

/**
 * Captures the runtime versions.
 *
 * @returns `Deno.version` as a plain object.
 */
export function captureRuntime(): RuntimeInfo {
  const v = Deno.version;
  return { deno: v.deno, v8: v.v8, typescript: v.typescript };
}
