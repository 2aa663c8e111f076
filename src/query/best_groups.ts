/**
 * Best runs per group: the runs' reduced values at a path, grouped by
 * metadata paths (e.g. the learning rate across seeds), with n, mean, std,
 * min, max and the best run of each group.
 *
 * @module
 */

import { nanPaths } from "./diverged.ts";
import { UsageError } from "../errors.ts";
import { differingKeys, metadataLeaves } from "./varying.ts";
import { toNumber } from "../summary.ts";
import { parsePath } from "../value_path.ts";
import type { InCatalog } from "./catalog.ts";
import { rankRuns } from "./best.ts";
import { runValues } from "./where.ts";
import type { BestOptions, BestResult, BestRow } from "./types.ts";

/** One group of {@linkcode bestGroups}. */
export interface BestGroup {
  /** The group's value at each group path (`null` where the run has none). */
  key: Record<string, unknown>;
  /** Runs in the group with a value at the path. */
  n: number;
  /** Mean of the group's non-NaN values (`null` when none). */
  mean: number | null;
  /** Sample standard deviation (n − 1; `null` for fewer than two values). */
  std: number | null;
  /** Smallest non-NaN value (`null` when none). */
  min: number | null;
  /** Largest non-NaN value (`null` when none). */
  max: number | null;
  /** The group's best run (its rank is the overall rank). */
  best: BestRow;
  /** Ids of the group's runs that recorded NaN somewhere (diverged?), per their summaries. */
  diverged: string[];
}

/** Result of {@linkcode bestGroups}: the ranking's counts and its groups. */
export interface BestGroupsResult extends Omit<BestResult, "rows"> {
  /** The group paths. */
  group_by: string[];
  /** The groups, best mean first (groups without a number last). */
  groups: BestGroup[];
  /**
   * What else takes different values within some group (sorted): metadata
   * leaves (`metadata.hparams.batch_size`) and the code, as `git.tree`
   * when every run of the group recorded one, else `git.commit`.
   */
  varying: string[];
}

/** A run's comparable leaves: metadata leaves and its code (tree, else commit). */
function leavesOf(row: BestRow, byTree: boolean): Map<string, string> {
  const out = metadataLeaves(row.run.metadata);
  const g = row.run.git as Record<string, unknown> | null;
  const code = byTree ? "git.tree" : "git.commit";
  out.set(code, JSON.stringify(g?.[code.slice(4)] ?? null));
  return out;
}

/** The leaves that differ between the rows of any one group (group paths left out). */
function varyingIn(
  groups: readonly BestRow[][],
  groupBy: readonly string[],
): string[] {
  const found = new Set<string>();
  for (const rows of groups) {
    if (rows.length < 2) continue;
    const byTree = rows.every((r) =>
      typeof (r.run.git as { tree?: unknown } | null)?.tree === "string"
    );
    const maps = rows.map((r) => leavesOf(r, byTree));
    for (const k of differingKeys(maps)) found.add(k);
  }
  for (const p of groupBy) found.delete(p);
  return [...found].sort();
}

/** The value of a group path on a run: one value, a list of several, or null. */
function groupValue(row: BestRow, segments: readonly (string | null)[]) {
  const vs = runValues(row.run, segments);
  return vs.length === 0 ? null : vs.length === 1 ? vs[0] : vs;
}

function statsOf(
  rows: readonly BestRow[],
): Omit<BestGroup, "key" | "best" | "diverged"> {
  const xs = rows.map((r) => toNumber(r.value) ?? NaN).filter((x) =>
    !Number.isNaN(x)
  );
  if (xs.length === 0) {
    return { n: rows.length, mean: null, std: null, min: null, max: null };
  }
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length < 2 ? null : Math.sqrt(
    xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1),
  );
  return {
    n: rows.length,
    mean,
    std: std !== null && Number.isNaN(std) ? null : std,
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
}

/**
 * Ranks runs by a numeric path as {@linkcode rankRuns} does, then groups
 * them by the values of run paths (`metadata.hparams.lr`, `name`, ...).
 * Groups are ordered by their mean, best first in the direction asked;
 * groups whose values are all NaN come last.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param path A track value path, e.g. `value.metrics.acc`.
 * @param groupBy One or more run paths (not `value.*`), e.g. `metadata.hparams.lr`.
 * @param options As for {@linkcode rankRuns}.
 * @returns The groups and the ranking's counts.
 * @throws {UsageError} For an invalid path, an empty `groupBy` or a `value.*` group path.
 *
 * @example Mean accuracy per learning rate across seeds
 * ```ts
 * import { bestGroups } from "./best_groups.ts";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * const r = await bestGroups("value.acc", ["metadata.lr"], { dir });
 * equal(r.groups.length, 0);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export async function bestGroups(
  path: string,
  groupBy: readonly string[],
  options: BestOptions & InCatalog = {},
): Promise<BestGroupsResult> {
  if (groupBy.length === 0) throw new UsageError("no group path given");
  const parsed = groupBy.map((p) => {
    const segments = parsePath(p);
    if (segments[0] === "value") {
      throw new UsageError(
        `Invalid group path ${
          JSON.stringify(p)
        }: group by run paths (metadata.*, name, status, git.*), not track values`,
      );
    }
    return segments;
  });
  const { rows, ...rest } = await rankRuns(path, options);
  const groups = new Map<
    string,
    { key: Record<string, unknown>; rows: BestRow[] }
  >();
  for (const row of rows) {
    const key: Record<string, unknown> = {};
    groupBy.forEach((p, i) => key[p] = groupValue(row, parsed[i]));
    const id = JSON.stringify(groupBy.map((p) => key[p]));
    const g = groups.get(id) ?? { key, rows: [] };
    g.rows.push(row); // rows are ranked: the first is the group's best
    groups.set(id, g);
  }
  const sign = rest.direction === "max" ? -1 : 1;
  const out = [...groups.values()].map((g) => ({
    key: g.key,
    ...statsOf(g.rows),
    best: g.rows[0],
    diverged: g.rows.filter((r) => nanPaths(r.run).length > 0).map((r) =>
      r.run.id
    ),
  }));
  out.sort((a, b) => {
    if (a.mean === null || b.mean === null) {
      return a.mean === b.mean
        ? a.best.rank - b.best.rank
        : a.mean === null
        ? 1
        : -1;
    }
    if (a.mean === b.mean) return a.best.rank - b.best.rank;
    return sign * (a.mean < b.mean ? -1 : 1);
  });
  const varying = varyingIn([...groups.values()].map((g) => g.rows), groupBy);
  return { ...rest, group_by: [...groupBy], groups: out, varying };
}
