/**
 * Every run of the runs directory, each read once from its file, without
 * duplicates, oldest first.
 *
 * @module
 */

import { basename } from "../path.ts";
import { listRunFiles, listRunFilesAsync } from "./files.ts";
import { attachNotes } from "./notes.ts";
import { report } from "./problems.ts";
import { readRun, type ReadRunOptions } from "./run_file.ts";
import { _resetProbes } from "./status.ts";
import { tryParseTimestamp } from "./time.ts";
import type { RunInfo } from "./types.ts";

/**
 * Sorts runs by start instant, oldest first (ties by id), in place.
 *
 * @param runs The runs (or anything with their `id` and `started_at`).
 * @returns The same array.
 */
export function sortRuns<
  T extends Pick<RunInfo, "id" | "started_at"> = RunInfo,
>(runs: T[]): T[] {
  // each start time parsed once, not twice per comparison; the order is
  // compareTimestamps' (unparsable times first)
  const keyed = runs.map((run) => ({
    run,
    t: tryParseTimestamp(run.started_at),
  }));
  keyed.sort((a, b) => {
    const x = a.t, y = b.t;
    const c = x === undefined
      ? (y === undefined ? 0 : -1)
      : y === undefined
      ? 1
      : x < y
      ? -1
      : x > y
      ? 1
      : 0;
    return c || (a.run.id < b.run.id ? -1 : a.run.id > b.run.id ? 1 : 0);
  });
  for (let i = 0; i < keyed.length; i++) runs[i] = keyed[i].run;
  return runs;
}

/**
 * Every run, unfiltered, oldest first. When two files hold the same run id,
 * the one named after the id (`<id>.jsonl`) is the run's, whatever their
 * names' order (a `0000-x.jsonl` carrying another run's id never shadows
 * it); otherwise the first by name. The other file is reported and skipped.
 *
 * @param options Directory, problem handling, whether to count records.
 * @returns The runs.
 */
export function loadRuns(options: ReadRunOptions = {}): RunInfo[] {
  return runsOfFiles(listRunFiles(options), options);
}

/**
 * {@linkcode loadRuns}, the runs directory read as a stream
 * ({@linkcode listRunFilesAsync}): the same runs, a smaller peak.
 *
 * @param options Directory, problem handling, whether to count records.
 * @returns The runs.
 */
export async function loadRunsAsync(
  options: ReadRunOptions = {},
): Promise<RunInfo[]> {
  return runsOfFiles(await listRunFilesAsync(options), options);
}

/** The runs of some run files, as {@linkcode loadRuns} says. */
function runsOfFiles(files: string[], options: ReadRunOptions): RunInfo[] {
  const byId = new Map<string, RunInfo>();
  _resetProbes();
  const opts = { ...options, countRecords: options.countRecords ?? true };
  for (const file of files) {
    const run = readRun(file, opts);
    if (run === undefined) continue;
    const other = byId.get(run.id);
    if (other === undefined) {
      byId.set(run.id, run);
      continue;
    }
    const [kept, skipped] = namedAfterId(run) && !namedAfterId(other)
      ? [run, other]
      : [other, run];
    byId.set(run.id, kept);
    report(options, {
      file: skipped.file,
      line: 1,
      reason: `run id ${run.id} also in ${kept.file}; run skipped`,
    });
  }
  return sortRuns(attachNotes([...byId.values()], options));
}

/**
 * Whether a run's file is named after its id (`<id>.jsonl`): of two files
 * holding one run id, that one is the run's.
 *
 * @param run The run (its `file` and `id`).
 * @returns Whether the file's name is `<id>.jsonl`.
 */
export function namedAfterId(run: Pick<RunInfo, "file" | "id">): boolean {
  return basename(run.file) === `${run.id}.jsonl`;
}
