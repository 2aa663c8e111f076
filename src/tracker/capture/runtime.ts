/**
 * Runtime versions for run_start (`runtime`). Needs no permissions.
 *
 * @module
 */

import type { RuntimeInfo } from "../../record.ts";

export type { RuntimeInfo };

/**
 * Captures the runtime versions.
 *
 * @returns `Deno.version` as a plain object.
 */
export function captureRuntime(): RuntimeInfo {
  const v = Deno.version;
  return { deno: v.deno, v8: v.v8, typescript: v.typescript };
}
