/**
 * `exprag compare RUN_A RUN_B`: two runs side by side.
 *
 * @module
 */

import { compareRuns, type RunInfo } from "../query/mod.ts";
import { catalog, gitFields, resolveRef, runJson, runTimes } from "./common.ts";
import type { Context } from "./context.ts";
import { approx, json, stderrLine, table } from "./format.ts";
import { MAX_SUMMARY_PATHS } from "../summary.ts";
import { uncapturedReason } from "./gitsafe.ts";
import { pathCurves } from "./curves.ts";

const HEX = /^[0-9a-f]{7,64}$/;

/** The run's recorded code tree (`git.tree`), or null when it has none (older and Python runs). */
function treeOf(run: RunInfo): string | null {
  const t = (run.git as { tree?: unknown } | null)?.tree;
  return typeof t === "string" && HEX.test(t) ? t : null;
}

/**
 * Whether two runs ran the same code: by their trees when both recorded
 * one, else `"same"` for one captured commit and `"unknown"` otherwise
 * (different commits may hold the same tree).
 */
function codeOf(
  a: RunInfo,
  b: RunInfo,
  sameCommit: boolean,
): "same" | "different" | "unknown" {
  const ta = treeOf(a), tb = treeOf(b);
  if (ta !== null && tb !== null) return ta === tb ? "same" : "different";
  return sameCommit ? "same" : "unknown";
}

/** The `code` row: same (naming the tree, or commit), different (with the commands that show how), unknown. */
function codeRow(
  code: string,
  o: { a: RunInfo; commit: unknown; codeDiff: string },
): string {
  if (code === "different") return `different: ${o.codeDiff}`;
  if (code === "unknown") {
    return `unknown (a run recorded no tree): ${o.codeDiff} shows any difference`;
  }
  const tree = treeOf(o.a);
  return tree !== null ? `same (tree ${tree})` : `same (commit ${o.commit})`;
}

/** The comparison as `compareRuns` gives it. */
type Compared = Awaited<ReturnType<typeof compareRuns>>;

/** A compared path with both runs' curves. */
type CurvedPath = Compared["paths"][number] & {
  a: { curve: string };
  b: { curve: string };
};

/**
 * One note when the runs' last values come from different points of
 * training: different track record counts (a crashed or still running run
 * beside a finished one, or another length of training).
 */
function noteLengths(c: Compared): void {
  if (c.a.records === c.b.records) return;
  const how = (r: RunInfo) =>
    `${r.records}${r.status === "finished" ? "" : `, ${r.status}`}`;
  stderrLine(
    `exprag: note: the runs recorded different numbers of track records (a: ${
      how(c.a)
    }; b: ${
      how(c.b)
    }): their last values come from different points of training`,
  );
}

/** One note when either run has more numeric paths than the comparison holds. */
function noteTruncation(c: Compared): void {
  const cut = [c.truncated.a ? c.a.id : null, c.truncated.b ? c.b.id : null]
    .filter((id) => id !== null);
  if (cut.length === 0) return;
  // the comparison would otherwise look complete
  stderrLine(
    `exprag: note: statistics of the first ${MAX_SUMMARY_PATHS} numeric paths of each run only (run ${
      cut.join(" and run ")
    } ${cut.length === 1 ? "has" : "have"} more); exprag values PATH --run ${
      cut[0]
    } reads any path`,
  );
}

/**
 * The field rows that differ, and one `same` row naming the fields (with
 * their value) that are equal in both runs; `id` always shows.
 */
function differingRows(rows: unknown[][]): unknown[][] {
  const key = (v: unknown) => JSON.stringify(v ?? null);
  const same = rows.filter(([f, a, b]) => f !== "id" && key(a) === key(b));
  const out = rows.filter((r) => !same.includes(r));
  if (same.length > 0) {
    out.push([
      "same",
      same.map(([f, a]) => `${f}=${typeof a === "string" ? a : key(a)}`)
        .join(", "),
      null,
    ]);
  }
  return out;
}

/** The text output: the differing fields, the paths with curves. */
function writeTables(
  ctx: Context,
  c: Compared,
  paths: CurvedPath[],
  o: { code: string; codeDiff: string },
): void {
  const ga = gitFields(c.a), gb = gitFields(c.b);
  const ta = runTimes(c.a), tb = runTimes(c.b);
  const rows: unknown[][] = [
    ["id", c.a.id, c.b.id],
    ["name", c.a.name, c.b.name],
    ["status", c.a.status, c.b.status],
    ["started", ta.started, tb.started],
    ["duration_s", ta.duration_s, tb.duration_s],
    ["records", c.a.records, c.b.records],
    ["commit", ga.commit, gb.commit],
    ["dirty", ga.dirty, gb.dirty],
  ];
  for (const d of c.metadata) rows.push([d.path, d.a, d.b]);
  for (const d of c.git) {
    const path = d.path.startsWith("git.") ? d.path : `git.${d.path}`;
    if (path !== "git.commit" && path !== "git.dirty") {
      rows.push([path, d.a, d.b]);
    }
  }
  const shown = differingRows(rows);
  shown.push([
    "code",
    codeRow(o.code, { a: c.a, commit: ga.commit, ...o }),
    null,
  ]);
  if (c.only_a.length > 0) shown.push(["paths_only_in_a", c.only_a, null]);
  if (c.only_b.length > 0) shown.push(["paths_only_in_b", null, c.only_b]);
  table(ctx.out, ["field", "a", "b"], shown, { paths: ["field"] });
  ctx.out.line();
  table(
    ctx.out,
    [
      "path",
      "a_last",
      "b_last",
      "last_delta",
      "a_min",
      "b_min",
      "a_max",
      "b_max",
      "a_curve",
      "b_curve",
    ],
    paths.map((
      p,
    ) => [
      p.path,
      ...[p.a.last, p.b.last, p.last_delta, p.a.min, p.b.min, p.a.max, p.b.max]
        .map(approx),
      p.a.curve,
      p.b.curve,
    ]),
    { paths: ["path"] },
  );
}

/**
 * Runs `compare`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const a = await resolveRef(ctx, ctx.args[0]);
  const b = await resolveRef(ctx, ctx.args[1]);
  const c = await compareRuns(a, b, { catalog: catalog(ctx) });
  const ga = gitFields(c.a), gb = gitFields(c.b);
  const codeDiff = `exprag diff ${c.a.id} ${c.b.id}`;
  const sameCommit = ga.commit === gb.commit &&
    typeof ga.commit === "string" && HEX.test(ga.commit) &&
    uncapturedReason(c.a) === null && uncapturedReason(c.b) === null;
  const code = codeOf(c.a, c.b, sameCommit);
  const sameCode = code === "same";
  const gitDiff = !sameCode &&
      typeof ga.commit === "string" && typeof gb.commit === "string" &&
      HEX.test(ga.commit) && HEX.test(gb.commit)
    ? `git diff ${ga.commit} ${gb.commit}`
    : null;
  if (sameCommit) {
    stderrLine(
      `exprag: note: both runs ran commit ${ga.commit}: no code difference`,
    );
  }
  const names = c.paths.map((p) => p.path);
  const curvesA = pathCurves(ctx, c.a, names);
  const curvesB = pathCurves(ctx, c.b, names);
  const paths = c.paths.map((p) => ({
    ...p,
    a: { ...p.a, curve: curvesA.get(p.path) ?? "" },
    b: { ...p.b, curve: curvesB.get(p.path) ?? "" },
  }));
  noteTruncation(c);
  noteLengths(c);
  if (ctx.json) {
    json(ctx.out, {
      a: runJson(c.a),
      b: runJson(c.b),
      metadata: c.metadata,
      git: c.git,
      paths,
      only_a: c.only_a,
      only_b: c.only_b,
      truncated: c.truncated,
      code_diff: codeDiff,
      git_diff: gitDiff,
      same_code: sameCode,
      code,
    });
    return 0;
  }
  writeTables(ctx, c, paths, { code, codeDiff });
  return 0;
}
