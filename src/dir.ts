/**
 * The default exprag directory, shared by the tracker and the reader.
 *
 * @module
 */
import { granted } from "./permissions.ts";

/** The exprag directory when nothing else is given. */
export const DEFAULT_DIR = ".exprag";

/**
 * Resolves the exprag directory: `dir` when given (and not empty), else the
 * `EXPRAG_DIR` environment variable when `--allow-env=EXPRAG_DIR` is
 * granted (never prompts) and it is not empty, else `.exprag`.
 *
 * @param dir An explicit directory (an option, `--dir`).
 * @returns The directory as given (not made absolute).
 *
 * @example
 * ```ts
 * import { expragDir } from "./dir.ts";
 * expragDir("/tmp/exp"); // "/tmp/exp"
 * ```
 */
export function expragDir(dir?: string): string {
  if (dir !== undefined && dir !== "") return dir;
  if (granted({ name: "env", variable: "EXPRAG_DIR" })) {
    const env = Deno.env.get("EXPRAG_DIR");
    if (env !== undefined && env !== "") return env;
  }
  return DEFAULT_DIR;
}
