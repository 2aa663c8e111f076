/**
 * Where runs live: the exprag directory, the runs directory, the run files.
 *
 * @module
 */

import { basename, join, sep } from "../path.ts";
import { expragDir } from "../dir.ts";
import { flagFor } from "../permissions.ts";
import { ProblemError } from "../errors.ts";
import { report } from "./problems.ts";
import type { ReadOptions } from "./types.ts";

/** Characters a run id (or a prefix of one) may contain: UUID-like only. */
const RUN_ID_RE = /^[0-9A-Za-z][0-9A-Za-z_-]{0,127}$/;

/**
 * Tells whether a string may be a run id: letters, digits, `-` and `_`
 * only, so that a run id from a file can never name another path.
 *
 * @param id The candidate id.
 * @returns `true` when the id is UUID-like.
 * @example
 * ```ts
 * import { isValidRunId } from "./files.ts";
 * isValidRunId("3f2a9c1e-0000-4000-8000-000000000000"); // true
 * isValidRunId("../etc/passwd"); // false
 * ```
 */
export function isValidRunId(id: unknown): id is string {
  return typeof id === "string" && RUN_ID_RE.test(id);
}

/**
 * Resolves the exprag directory: `dir` when given, else `EXPRAG_DIR` when
 * `--allow-env=EXPRAG_DIR` is granted (never prompts), else `.exprag`
 * (`src/dir.ts`'s `expragDir`, shared with the tracker).
 *
 * @param dir An explicit directory (e.g. from `--dir`).
 * @returns The exprag directory as given (not made absolute).
 * @example
 * ```ts
 * import { resolveDir } from "./files.ts";
 * resolveDir("/tmp/exp"); // "/tmp/exp"
 * ```
 */
export function resolveDir(dir?: string): string {
  return expragDir(dir);
}

/**
 * The runs directory: `<dir>/runs`, or `dir` itself when it already ends in
 * `runs` (as Python exprag's `runs_dir`).
 *
 * @param dir An explicit directory, else resolved with {@linkcode resolveDir}.
 * @returns The runs directory.
 * @example
 * ```ts
 * import { runsDir } from "./files.ts";
 * runsDir("/tmp/exp"); // "/tmp/exp/runs"
 * runsDir("/tmp/exp/runs"); // "/tmp/exp/runs"
 * ```
 */
export function runsDir(dir?: string): string {
  const base = resolveDir(dir);
  const trimmed = base.length > 1 ? base.replace(/[\\/]+$/, "") : base;
  if (basename(trimmed) === "runs") return trimmed;
  return join(base, "runs");
}

/**
 * Lists the run files `<runs>/*.jsonl`, sorted by name. Skips (and reports
 * through `onProblem`, or throws when `strict`) directories named
 * `*.jsonl`, broken symlinks and symlinks pointing outside the runs
 * directory. A missing runs directory gives an empty list.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param options Directory and problem handling.
 * @returns Paths of the run files (`<runs>/<name>.jsonl`).
 *
 * @example The run files of a directory
 * ```ts
 * import { listRunFiles } from "./files.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(listRunFiles({ dir: Deno.makeTempDirSync() }), []); // no runs/ yet: none
 * ```
 */
export function listRunFiles(options: ReadOptions = {}): string[] {
  const runs = runsDir(options.dir);
  const found = dirNames();
  try {
    for (const e of Deno.readDirSync(runs)) addEntry(found, e);
  } catch (e) {
    return dirFailed(e, options);
  }
  return runFilesOf(runs, found, options);
}

/**
 * {@linkcode listRunFiles}, reading the directory as a stream: the same
 * files, without holding every directory entry at once (Deno's
 * `readDirSync` materialises them all: ~80 MiB at 100,000 files).
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param options Directory and problem handling.
 * @returns Paths of the run files (`<runs>/<name>.jsonl`), sorted by name.
 *
 * @example The run files of a directory
 * ```ts
 * import { listRunFilesAsync } from "./files.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(await listRunFilesAsync({ dir: Deno.makeTempDirSync() }), []);
 * ```
 */
export async function listRunFilesAsync(
  options: ReadOptions = {},
): Promise<string[]> {
  const runs = runsDir(options.dir);
  const found = dirNames();
  try {
    for await (const e of Deno.readDir(runs)) addEntry(found, e);
  } catch (e) {
    return dirFailed(e, options);
  }
  return runFilesOf(runs, found, options);
}

/** The `*.jsonl` names of a directory, and the entries of those not regular files. */
interface DirNames {
  names: string[];
  others: Map<string, Deno.DirEntry>;
}

function dirNames(): DirNames {
  return { names: [], others: new Map() };
}

/** Keeps an entry's name when it ends in `.jsonl` (and the entry, when not a regular file). */
function addEntry(found: DirNames, e: Deno.DirEntry): void {
  if (!e.name.endsWith(".jsonl")) return;
  found.names.push(e.name);
  if (!e.isFile) found.others.set(e.name, e);
}

/** A runs directory that cannot be read: none (`[]`) when missing, else the error. */
function dirFailed(e: unknown, options: ReadOptions): string[] {
  const runs = runsDir(options.dir);
  if (e instanceof Deno.errors.NotFound) return [];
  if (e instanceof Deno.errors.NotCapable) {
    const base = resolveDir(options.dir);
    throw new Deno.errors.NotCapable(
      `Read permission for ${JSON.stringify(base)} not granted (${
        flagFor({ name: "read", path: base })
      })`,
    );
  }
  if (e instanceof Deno.errors.NotADirectory) {
    throw new Error(`${runs}: not a directory`);
  }
  throw e;
}

/** The run files among a directory's names, sorted; the others reported. */
function runFilesOf(
  runs: string,
  found: DirNames,
  options: ReadOptions,
): string[] {
  const names = found.names;
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: string[] = [];
  let realRuns: string | undefined;
  // join(runs, name) for a name that is one plain segment: the directory
  // normalised once (node:path's join per file costs ~1 KiB of heap each)
  const prefix = join(runs, "_").slice(0, -1);
  for (const name of names) {
    const file = prefix + name;
    const entry = found.others.get(name);
    if (entry === undefined) {
      out.push(file);
      continue;
    }
    if (entry.isDirectory) {
      report(options, {
        file,
        line: 0,
        reason: "is a directory, not a run file",
      });
      continue;
    }
    if (entry.isSymlink) {
      try {
        realRuns ??= Deno.realPathSync(runs);
        const target = Deno.realPathSync(file);
        const inside = target.startsWith(realRuns + sep) &&
          !target.slice(realRuns.length + 1).includes(sep);
        if (!inside) {
          report(options, {
            file,
            line: 0,
            reason: "symlink pointing outside the runs directory",
          });
          continue;
        }
        if (!Deno.statSync(target).isFile) {
          report(options, { file, line: 0, reason: "symlink to a non-file" });
          continue;
        }
      } catch (e) {
        if (e instanceof ProblemError) throw e;
        report(options, { file, line: 0, reason: "broken symlink" });
        continue;
      }
    } else if (!entry.isFile) {
      report(options, { file, line: 0, reason: "not a regular file" });
      continue;
    }
    out.push(file);
  }
  return out;
}
