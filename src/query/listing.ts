/**
 * Every run of the runs directory, each read once from its file, without
 * duplicates, oldest first.
 *
 * @module
 */

import { listRunFiles } from "./files.ts";
import { attachNotes } from "./notes.ts";
import { report } from "./problems.ts";
import { readRun, type ReadRunOptions } from "./run_file.ts";
import { _resetProbes } from "./status.ts";
import { tryParseTimestamp } from "./time.ts";
import type { RunInfo } from "./types.ts";

/**
 * Sorts runs by start instant, oldest first (ties by id), in place.
 *
 * @param runs The runs.
 * @returns The same array.
 */
export function sortRuns(runs: RunInfo[]): RunInfo[] {
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
 * Every run, unfiltered, oldest first. A second file holding a run id
 * already seen is reported and skipped.
 *
 * @param options Directory, problem handling, whether to count records.
 * @returns The runs.
 */
export function loadRuns(options: ReadRunOptions = {}): RunInfo[] {
  const out: RunInfo[] = [];
  const seen = new Map<string, string>();
  _resetProbes();
  const opts = { ...options, countRecords: options.countRecords ?? true };
  for (const file of listRunFiles(options)) {
    const run = readRun(file, opts);
    if (run === undefined) continue;
    const other = seen.get(run.id);
    if (other !== undefined) {
      report(options, {
        file,
        line: 1,
        reason: `run id ${run.id} also in ${other}; run skipped`,
      });
      continue;
    }
    seen.set(run.id, file);
    out.push(run);
  }
  return sortRuns(attachNotes(out, options));
}
