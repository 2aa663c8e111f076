/**
 * The run catalogue: the runs of one exprag directory, listed once and
 * reused by every question of one invocation (a CLI command, or a script's
 * calls that pass it as `catalog`). References are resolved against the
 * listing, filters are checked once and their result is kept.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import {
  type CompiledFilter,
  compileFilter,
  passesPlain,
  passesValues,
} from "./filter.ts";
import { loadRuns, loadRunsAsync } from "./listing.ts";
import { dedupeProblems } from "./problems.ts";
import { checkRunRef, resolveRunRef } from "./refs.ts";
import { readRun } from "./run_file.ts";
import { reducedValues } from "./run_stats.ts";
import type {
  ListRunsOptions,
  ReadOptions,
  RunFilter,
  RunInfo,
} from "./types.ts";

/** Options of a {@linkcode RunCatalog}. */
export interface CatalogOptions extends ReadOptions {
  /**
   * Count the track records of runs without run_end by scanning their
   * files (default true; `false` lists faster, with `records: null` for
   * such runs, and counts only the runs that references resolve to).
   */
  countRecords?: boolean;
}

/** Options naming the catalogue a reading function reuses. */
export interface InCatalog {
  /**
   * The catalogue to read from, instead of listing the runs again; its own
   * `dir`, `strict` and `onProblem` apply.
   */
  catalog?: RunCatalog;
}

/**
 * The runs of one exprag directory, read once.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @example Several questions, one listing
 * ```ts
 * import { RunCatalog } from "./catalog.ts";
 * import { compareRuns } from "./compare.ts";
 * import { Experiment } from "../tracker/experiment.ts";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * for (const lr of [0.1, 0.2]) new Experiment("t", { dir, git: false, metadata: { lr } }).end();
 * const catalog = new RunCatalog({ dir });
 * equal(catalog.resolve("latest~1").id, catalog.all()[0].id);
 * const c = await compareRuns("latest~1", "latest", { catalog }); // no second listing
 * equal(c.metadata[0].path, "metadata.lr");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export class RunCatalog {
  #options: CatalogOptions;
  #runs: RunInfo[] | undefined;
  #loading: Promise<RunInfo[]> | undefined;
  #counted = new Map<string, RunInfo>();
  #filtered = new Map<string, Promise<RunInfo[]>>();

  /**
   * Creates a catalogue; nothing is read until a question needs the runs.
   *
   * @param options Directory, strictness, problem callback, counting.
   */
  constructor(options: CatalogOptions = {}) {
    this.#options = dedupeProblems(options);
  }

  /** The reading options every read of this catalogue uses. */
  get options(): ReadOptions {
    return this.#options;
  }

  /**
   * Every run, oldest first (by start instant, ties by id), listed on first
   * use.
   *
   * @returns The runs (do not modify).
   */
  all(): readonly RunInfo[] {
    this.#runs ??= loadRuns({
      ...this.#options,
      countRecords: this.#options.countRecords ?? true,
    });
    return this.#runs;
  }

  /**
   * {@linkcode RunCatalog.all}, listed with the runs directory read as a
   * stream (a smaller peak of memory over many runs); later calls of
   * either give the same runs.
   *
   * @returns The runs (do not modify).
   */
  async load(): Promise<readonly RunInfo[]> {
    if (this.#runs !== undefined) return this.#runs;
    this.#loading ??= loadRunsAsync({
      ...this.#options,
      countRecords: this.#options.countRecords ?? true,
    });
    const runs = await this.#loading;
    this.#runs ??= runs;
    return this.#runs;
  }

  /**
   * {@linkcode RunCatalog.resolve}, the runs listed by
   * {@linkcode RunCatalog.load}: the syntax is checked first.
   *
   * @param ref The reference.
   * @param count Whether the run's track records must be counted.
   * @returns The run.
   */
  async resolveLoaded(ref: string, count = true): Promise<RunInfo> {
    checkRunRef(ref);
    await this.load();
    return this.resolve(ref, count);
  }

  /**
   * Resolves a run reference: a full id, a unique id prefix, `latest`, or
   * `latest~N`. The syntax is checked before anything is read.
   *
   * @param ref The reference.
   * @param count Whether the run's track records must be counted (a
   *   catalogue that lists without counting then reads the run again,
   *   counting; `false` takes the run as listed).
   * @returns The run, with its track records counted unless `count` is false.
   * @throws {RunRefSyntaxError} (a `UsageError`) For an invalid reference.
   * @throws {RunRefError} (a `NotFoundError`) When no run or several match.
   */
  resolve(ref: string, count = true): RunInfo {
    checkRunRef(ref);
    const run = resolveRunRef(ref, this.all());
    if (this.#options.countRecords !== false || !count) return run;
    let counted = this.#counted.get(run.file);
    if (counted === undefined) {
      counted = readRun(run.file, {
        ...this.#options,
        countRecords: undefined, // count, as a direct read does
        onProblem: undefined, // reported while listing
        strict: false,
      }) ?? run;
      counted.tags = run.tags; // the listing read the notes
      counted.notes = run.notes;
      this.#counted.set(run.file, counted);
    }
    return counted;
  }

  /**
   * The runs passing a filter, oldest first: `since`/`until` on the start
   * time, then `where` clauses (those on `value.*` paths with the reducer
   * `by`, only for the runs the others kept). The result is kept for
   * equal filters.
   *
   * @param filter The filter, checked before anything is read.
   * @returns The runs.
   * @throws {UsageError} For an invalid time, clause or reducer.
   */
  filter(filter: RunFilter = {}): Promise<RunInfo[]> {
    const f = compileFilter(filter); // `where` arrays are compiled once

    let out = this.#filtered.get(f.key);
    if (out === undefined) {
      out = this.#apply(f);
      this.#filtered.set(f.key, out);
    }
    return out.then((runs) => [...runs]);
  }

  async #apply(f: CompiledFilter): Promise<RunInfo[]> {
    const left = (await this.load()).filter((run) => passesPlain(run, f));
    if (f.values.length === 0) return left;
    const values: Record<string, unknown>[] = left.map(() => ({}));
    for (const key of new Set(f.values.map((c) => c.key))) {
      const reduced = await reducedValues(left, key, f.by, this.#options);
      reduced.forEach((r, i) => (values[i][key] = r.value));
    }
    return left.filter((run, i) => passesValues(run, f, values[i]));
  }

  /**
   * The runs a question is about: the run named by `run`, else the runs
   * passing the filter.
   *
   * @param options `run` (a reference) or the filter.
   * @param count For a reference: whether its records must be counted
   *   (see {@linkcode RunCatalog.resolve}).
   * @returns The runs, oldest first.
   */
  async select(
    options: RunFilter & { run?: string },
    count = true,
  ): Promise<RunInfo[]> {
    if (options.run !== undefined) {
      return [await this.resolveLoaded(options.run, count)];
    }
    return await this.filter(options);
  }
}

/**
 * The catalogue of a reading call: the one given as `catalog`, else a new
 * one over the call's options.
 *
 * @param options The call's options.
 * @param countRecords Whether a new catalogue counts records.
 * @returns The catalogue.
 */
export function catalogOf(
  options: ReadOptions & InCatalog,
  countRecords = true,
): RunCatalog {
  return options.catalog ?? new RunCatalog({ ...options, countRecords });
}

function checkLimit(limit: unknown): void {
  if (
    limit !== undefined && !(Number.isInteger(limit) && limit as number >= 0)
  ) {
    throw new UsageError(
      `Invalid limit ${JSON.stringify(limit)}: expected a non-negative integer`,
    );
  }
}

/**
 * Lists runs, oldest first, each from the first and last lines of its file
 * (O(runs) bytes; files without run_end are also scanned for newlines to
 * count their records). Filters: `since`/`until` on start time, `where`
 * clauses (all must hold); `limit` keeps the newest runs.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param options Directory, filters, limit, strictness, problem callback,
 *   or a `catalog` to reuse.
 * @returns The runs sorted by start time, oldest first.
 * @throws {UsageError} (a `RangeError`) For an invalid `since`/`until`/`where`/`limit`.
 *
 * @example The package's listRuns, plus a catalogue to reuse
 * ```ts
 * import { listRuns, RunCatalog } from "./catalog.ts";
 * import { equal } from "node:assert/strict";
 *
 * const catalog = new RunCatalog({ dir: Deno.makeTempDirSync() });
 * equal((await listRuns({ catalog, where: ["metadata.lr < 0.1"] })).length, 0);
 * Deno.removeSync(catalog.options.dir!, { recursive: true });
 * ```
 */
export async function listRuns(
  options: ListRunsOptions & InCatalog = {},
): Promise<RunInfo[]> {
  compileFilter(options); // checked before anything is read
  checkLimit(options.limit);
  const runs = await catalogOf(options).filter(options);
  if (options.limit === undefined) return runs;
  return options.limit === 0 ? [] : runs.slice(-options.limit);
}

/**
 * Resolves a run reference (full id, unique prefix, `latest`, `latest~N`)
 * against the runs in the exprag directory.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param ref The reference.
 * @param options Directory and problem handling, or a `catalog` to reuse.
 * @returns The run.
 * @throws {RunRefSyntaxError} (a `UsageError`) For an invalid reference.
 * @throws {RunRefError} (a `NotFoundError`) When not found or ambiguous.
 *
 * @example The newest run
 * ```ts
 * import { resolveRun } from "./catalog.ts";
 * import { Experiment } from "../tracker/experiment.ts";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * const exp = new Experiment("t", { dir, git: false });
 * exp.end();
 * equal((await resolveRun("latest", { dir })).id, exp.runId);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function resolveRun(
  ref: string,
  options: ReadOptions & InCatalog = {},
): Promise<RunInfo> {
  return catalogOf(options, false).resolveLoaded(ref);
}

/**
 * A synchronous read as a promise: what it throws becomes the rejection,
 * as the reading API's functions report every error.
 *
 * @param f The read.
 * @returns Its result.
 */
export function promised<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e);
  }
}
