/**
 * exprag for Deno: an experiment memory for coding agents.
 *
 * A training script records each run with {@linkcode Experiment} as one
 * append-only JSONL file, `.exprag/runs/<run_id>.jsonl`, together with the
 * exact code it ran from (a dirty git worktree is committed to the branch
 * `run/<run_id>` without touching HEAD, index or files). A small reading
 * API answers the usual questions from a script: which runs are there
 * ({@linkcode listRuns}, {@linkcode resolveRun}), which one is best
 * ({@linkcode bestRuns}), and what was recorded at a path
 * ({@linkcode selectValues}). Everything else — statistics, comparisons,
 * paths, the code of a run — is the CLI, `jsr:@exprag/cli/cli`, which
 * importing this module never loads. The reading functions load the query
 * layer on their first call, so a training script that uses only
 * {@linkcode Experiment} loads the tracker's modules alone.
 *
 * Recording needs `--allow-write=.exprag` (plus `--allow-read=.` and
 * `--allow-run=git` for the code state); reading needs
 * `--allow-read=.exprag`. Nothing ever prompts for a permission.
 *
 * @example Record two runs, then ask which one was best
 * ```ts
 * import { bestRuns, Experiment } from "@exprag/cli";
 * import { deepEqual } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync(); // your script would use the default, .exprag
 * for (const lr of [0.1, 0.01]) {
 *   using exp = new Experiment("train", { dir, git: false, metadata: { lr } });
 *   for (let step = 0; step < 3; step++) {
 *     exp.track({ step, metrics: { acc: lr * 5 + step / 10 } }, { note: "eval" });
 *   }
 * } // run_end is written when `exp` goes out of scope
 *
 * const best = await bestRuns("value.metrics.acc", { dir });
 * deepEqual(best.rows[0].run.metadata, { lr: 0.1 });
 * Deno.removeSync(dir, { recursive: true });
 * ```
 *
 * @module
 */

import type {
  BestOptions,
  BestResult,
  ListRunsOptions,
  ReadOptions,
  RunInfo,
  ValueRow,
  ValuesOptions,
} from "./src/query/types.ts";

// --- tracker (write side) ---
export {
  type EndOptions,
  type EndStatus,
  Experiment,
  type ExperimentOptions,
  type TrackOptions,
} from "./src/tracker/experiment.ts";

// --- reading API: the types its four functions take and return, and the
// record format's own types, as read runs carry them ---
export type * from "./src/query/public_types.ts";

/**
 * Lists the runs of an exprag directory, oldest first, each read from the
 * first and last lines of its file. `since`/`until` keep runs by start
 * time, `where` clauses (all must hold) by metadata, git, status or value,
 * and `limit` keeps the newest runs.
 *
 * Requires `--allow-read` for the exprag directory; never prompts.
 *
 * @param options Directory, filters, `limit`, strictness and problem
 *   callback.
 * @returns The runs, oldest first.
 * @throws {RangeError} A `UsageError` for an invalid `since`, `until`,
 *   `where` or `limit`, before anything is read.
 *
 * @example Runs with a given hyperparameter
 * ```ts
 * import { Experiment, listRuns } from "@exprag/cli";
 * import { deepEqual } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * for (const batch_size of [16, 32, 64]) {
 *   new Experiment("train", { dir, git: false, metadata: { batch_size } }).end();
 * }
 * const runs = await listRuns({ dir, where: ["metadata.batch_size >= 32"] });
 * deepEqual(runs.map((r) => [r.metadata, r.status]), [
 *   [{ batch_size: 32 }, "finished"],
 *   [{ batch_size: 64 }, "finished"],
 * ]);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export async function listRuns(
  options: ListRunsOptions = {},
): Promise<RunInfo[]> {
  const { listRuns } = await import("./src/query/catalog.ts");
  return await listRuns(options);
}

/**
 * Finds one run by reference: a full run id, a unique id prefix, `latest`
 * (the run started last) or `latest~N` (N runs before it).
 *
 * Requires `--allow-read` for the exprag directory; never prompts.
 *
 * @param ref The reference.
 * @param options Directory, strictness and problem callback.
 * @returns The run.
 * @throws {RangeError} A `UsageError` for a malformed reference; a
 *   `NotFoundError` (with the near matches in `candidates`) when no run or
 *   several match.
 *
 * @example The run before the latest one
 * ```ts
 * import { Experiment, resolveRun } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * const first = new Experiment("first", { dir, git: false });
 * first.end();
 * new Experiment("second", { dir, git: false }).end();
 *
 * equal((await resolveRun("latest~1", { dir })).id, first.runId);
 * equal((await resolveRun(first.runId.slice(0, 8), { dir })).name, "first");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export async function resolveRun(
  ref: string,
  options: ReadOptions = {},
): Promise<RunInfo> {
  const { resolveRun } = await import("./src/query/catalog.ts");
  return await resolveRun(ref, options);
}

/**
 * Ranks runs by a numeric value path. Each run is reduced to one number
 * with `by` (`last` by default; `first`, `max`, `min`, `mean`), read from
 * its `run_end` summary when it has one (a few bytes per run), else by
 * streaming its records. `"NaN"`, `"Infinity"` and `"-Infinity"` count as
 * numbers; NaN ranks after every number. Ties keep start order.
 *
 * Requires `--allow-read` for the exprag directory; never prompts.
 *
 * @param path A track value path, e.g. `value.metrics.acc`.
 * @param options `direction` (`max` by default), `by`, `top` (default 1),
 *   filters, directory, strictness and problem callback.
 * @returns The ranked rows, best first, and how many runs were considered
 *   and lacked the path.
 * @throws {RangeError} A `UsageError` for an invalid path, reducer,
 *   direction, `top` or filter, before anything is read.
 *
 * @example The run with the lowest minimum loss
 * ```ts
 * import { bestRuns, Experiment } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * for (const losses of [[0.9, 0.3, 0.5], [0.8, 0.4]]) {
 *   using exp = new Experiment("train", { dir, git: false, metadata: { losses } });
 *   for (const loss of losses) exp.track({ metrics: { loss } });
 * }
 * const best = await bestRuns("value.metrics.loss", {
 *   dir,
 *   direction: "min",
 *   by: "min",
 *   top: 2,
 * });
 * equal(best.rows.map((row) => row.value).join(), "0.3,0.4");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export async function bestRuns(
  path: string,
  options: BestOptions = {},
): Promise<BestResult> {
  const { bestRuns } = await import("./src/query/best.ts");
  return await bestRuns(path, options);
}

/**
 * Every value recorded at a path (`value.metrics.loss`, list elements as
 * `value.history.[].loss`, or `note`), one row per value with its run,
 * time, elapsed milliseconds and source `file:line`. Runs in start order,
 * lines in file order; the records are streamed.
 *
 * Requires `--allow-read` for the exprag directory; never prompts.
 *
 * @param path The path.
 * @param options `run` (a reference) or filters, `limit`, `kinds`,
 *   directory, strictness and problem callback.
 * @returns The rows.
 * @throws {RangeError} A `UsageError` for a malformed path, limit or
 *   filter; a `NotFoundError` for an unknown run reference.
 *
 * @example The loss curve of the latest run
 * ```ts
 * import { Experiment, selectValues } from "@exprag/cli";
 * import { deepEqual } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * {
 *   using exp = new Experiment("train", { dir, git: false });
 *   for (let step = 1; step <= 3; step++) exp.track({ metrics: { loss: 1 / step } });
 * }
 * const rows = await selectValues("value.metrics.loss", { dir, run: "latest" });
 * deepEqual(rows.map((r) => [r.line, r.value]), [[2, 1], [3, 0.5], [4, 1 / 3]]);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export async function selectValues(
  path: string,
  options: ValuesOptions = {},
): Promise<ValueRow[]> {
  const { selectValues } = await import("./src/query/select.ts");
  return await selectValues(path, options);
}

// --- CLI ---
// Not exported: the CLI is `@exprag/cli/cli`. Run as the main module
// (`deno run jsr:@exprag/cli skill`) this module starts it through a
// dynamic import, so importing the library never loads the CLI.
if (import.meta.main) {
  const { main } = await import("./cli.ts");
  Deno.exit(await main(Deno.args));
}
