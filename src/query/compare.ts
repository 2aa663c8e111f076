/**
 * Comparing two runs: metadata and git differences, final and best values
 * of shared numeric paths.
 *
 * @module
 */

import { toNumber } from "../summary.ts";
import { flattenObject } from "../flatten.ts";
import { catalogOf, type InCatalog, promised } from "./catalog.ts";
import { checkRunRef } from "./refs.ts";
import { statsOfRun } from "./run_stats.ts";
import type {
  Comparison,
  MetadataDiff,
  PathComparison,
  ReadOptions,
  RunInfo,
} from "./types.ts";

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function diff(a: unknown, b: unknown, root: string): MetadataDiff[] {
  const flat = (v: unknown) =>
    new Map(v === null || v === undefined ? [] : flattenObject(v, root));
  const fa = flat(a), fb = flat(b);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  const out: MetadataDiff[] = [];
  for (const k of keys) {
    const x = fa.get(k), y = fb.get(k);
    if (!fa.has(k) || !fb.has(k) || !same(x, y)) {
      out.push({ path: k, a: x, b: y });
    }
  }
  return out;
}

const GIT_KEYS = [
  "commit",
  "branch",
  "dirty",
  "head",
  "head_branch",
] as const;

/** The compared git fields a run recorded (`null` when no git state). */
function gitOf(run: RunInfo): Record<string, unknown> | null {
  if (run.git === null) return null;
  const out: Record<string, unknown> = {};
  for (const k of GIT_KEYS) if (k in run.git) out[k] = run.git[k];
  return out;
}

/**
 * Compares two runs: metadata leaves that differ (flat paths such as
 * `metadata.hparams.lr`; lists compared whole), git fields that differ
 * (commit, branch, dirty, head, head_branch), and for every numeric path
 * both runs share, both runs' statistics (first, last, min, max, ...) and
 * the change of the last value. Each run's statistics hold its first 1024
 * numeric paths: `truncated` says which run has more.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * Both references are resolved against one listing of the runs.
 *
 * @param a Run A: a reference (id, prefix, `latest`, `latest~N`) or a run.
 * @param b Run B.
 * @param options Directory and problem handling, or a `catalog` to reuse.
 * @returns The comparison.
 * @throws {RunRefSyntaxError} (a `UsageError`) For an invalid reference.
 * @throws {RunRefError} (a `NotFoundError`) When a reference matches no run
 *   or several.
 *
 * @example What changed between two runs
 * ```ts
 * import { compareRuns } from "./compare.ts";
 * import { Experiment } from "../tracker/experiment.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * for (const lr of [0.1, 0.2]) {
 *   using exp = new Experiment("t", { dir, git: false, metadata: { lr } });
 *   exp.track({ loss: lr });
 * }
 * const c = await compareRuns("latest~1", "latest", { dir });
 * deepEqual(c.metadata, [{ path: "metadata.lr", a: 0.1, b: 0.2 }]);
 * deepEqual(c.paths.map((p) => p.path), ["value.loss"]);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function compareRuns(
  a: string | RunInfo,
  b: string | RunInfo,
  options: ReadOptions & InCatalog = {},
): Promise<Comparison> {
  return promised(() => compare(a, b, options));
}

function compare(
  a: string | RunInfo,
  b: string | RunInfo,
  options: ReadOptions & InCatalog,
): Comparison {
  for (const ref of [a, b]) if (typeof ref === "string") checkRunRef(ref);
  const catalog = catalogOf(options, false);
  const ra = typeof a === "string" ? catalog.resolve(a) : a;
  const rb = typeof b === "string" ? catalog.resolve(b) : b;
  const sa = statsOfRun(ra, catalog.options);
  const sb = statsOfRun(rb, catalog.options);
  const paths: PathComparison[] = [];
  const onlyA: string[] = [], onlyB: string[] = [];
  const keys = [
    ...new Set([...Object.keys(sa.paths), ...Object.keys(sb.paths)]),
  ].sort();
  for (const k of keys) {
    const x = Object.hasOwn(sa.paths, k) ? sa.paths[k] : undefined;
    const y = Object.hasOwn(sb.paths, k) ? sb.paths[k] : undefined;
    if (x === undefined) onlyB.push(k);
    else if (y === undefined) onlyA.push(k);
    else {
      const xl = toNumber(x.last), yl = toNumber(y.last);
      const delta =
        xl !== undefined && yl !== undefined && Number.isFinite(xl) &&
          Number.isFinite(yl)
          ? yl - xl
          : null;
      paths.push({ path: k, a: x, b: y, last_delta: delta });
    }
  }
  return {
    a: ra,
    b: rb,
    metadata: diff(ra.metadata, rb.metadata, "metadata"),
    git: diff(gitOf(ra), gitOf(rb), "git"),
    paths,
    only_a: onlyA,
    only_b: onlyB,
    truncated: { a: sa.truncated, b: sb.truncated },
  };
}
