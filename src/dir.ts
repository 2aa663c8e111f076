/**
 * The default exprag directory, shared by the tracker and the reader.
 *
 * @module
 */
import { resolve } from "./path.ts";
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

/**
 * Creates the exprag directory when it does not exist yet, with a
 * `.gitignore` holding `*` (as virtual environments and tool caches do), so
 * that run files never show in `git status`. An existing directory is left
 * as it is; nothing is done without write permission for it (never a
 * prompt), and a failure here is left to the creation of `runs/` to report.
 *
 * Shared by the tracker and `exprag pull`.
 *
 * @param absDir The absolute exprag directory.
 */
export function createExpragDir(absDir: string): void {
  const ignore = resolve(absDir, ".gitignore");
  if (!granted({ name: "write", path: ignore })) return;
  try {
    Deno.mkdirSync(absDir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return; // exists, or cannot
    try {
      Deno.mkdirSync(absDir, { recursive: true });
    } catch {
      return;
    }
  }
  try {
    Deno.writeTextFileSync(ignore, "*\n", { createNew: true });
  } catch {
    // best effort: the run is recorded all the same
  }
}
