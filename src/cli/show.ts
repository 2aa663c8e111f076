/**
 * `exprag show RUN`: one run in detail.
 *
 * @module
 */

import { reduceStats, runStats } from "../query/mod.ts";
import { catalog, resolveRef, runJson, runTimes } from "./common.ts";
import type { Context } from "./context.ts";
import { flattenObject } from "../flatten.ts";
import { childPath, quoteKey } from "../value_path.ts";
import { approx, isoTime, json, stderrLine, table } from "./format.ts";
import { MAX_SUMMARY_PATHS } from "../summary.ts";
import { pathCurves } from "./curves.ts";

/** run_start keys shown (in this order) after the run fields; others follow. */
const START_ORDER = [
  "metadata",
  "git",
  "host",
  "process",
  "runtime",
  "unavailable",
];

/**
 * run_start leaves the table leaves out (listed by name in one `more`
 * row; `show --json` has their values): what tells the machinery apart
 * rather than the run.
 */
const QUIET = new Set([
  "writer",
  "exprag_version",
  "git.tree",
  "git.mode",
  "git.exprag_dir",
  "host.cpu_count",
  "process.pid",
  "process.ppid",
  "process.exec_path",
  "runtime.v8",
  "runtime.typescript",
]);

/** A value that says nothing: null, `""`, `[]` or `{}`. */
function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === "" ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && v !== null && Object.keys(v).length === 0);
}

/**
 * The run_start rows of the table: empty values left out, the
 * `unavailable.*` rows folded into one listing their keys (their reasons
 * are in `show --json`).
 */
function shownDetails(
  rows: [string, unknown][],
  unavailable: unknown,
): [string, unknown][] {
  const fold = unavailable !== null && typeof unavailable === "object" &&
    !Array.isArray(unavailable);
  const out = rows.filter(([k, v]) =>
    !isEmpty(v) && !QUIET.has(k) && !(k === "git.status_truncated" && !v) &&
    !(fold && (k === "unavailable" || k.startsWith("unavailable.")))
  );
  const quiet = rows.filter(([k, v]) => QUIET.has(k) && !isEmpty(v));
  if (quiet.length > 0) {
    out.push(["more", `${quiet.map(([k]) => k).join(", ")} (values: --json)`]);
  }
  const keys = fold ? Object.keys(unavailable) : [];
  if (keys.length > 0) {
    out.push(["unavailable", `${keys.join(", ")} (reasons: --json)`]);
  }
  return out;
}

/**
 * Runs `show`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const r = await resolveRef(ctx, ctx.args[0]);
  const stats = await runStats(r, { catalog: catalog(ctx) });
  const paths = Object.entries(stats.paths).sort((
    [a],
    [b],
  ) => (a < b ? -1 : a > b ? 1 : 0));
  const curve = pathCurves(ctx, r, paths.map(([p]) => p));
  if (ctx.json) {
    json(ctx.out, {
      run: { ...runJson(r), start: r.start, end: r.end },
      stats_source: stats.source,
      stats_truncated: stats.truncated,
      paths: Object.fromEntries(
        paths.map((
          [p, s],
        ) => [p, { ...s, mean: reduceStats(s, "mean"), curve: curve.get(p) }]),
      ),
    });
    return 0;
  }
  const t = runTimes(r);
  const rows: [string, unknown][] = [
    ["id", r.id],
    ["name", r.name],
    ["status", r.status],
    ["status_reason", r.status_reason],
    ["exit_code", r.exit_code],
    ["started", t.started],
    ["last", t.last],
    ["duration_s", t.duration_s],
    ["records", r.records],
    ["file", r.file],
  ];
  if (r.end !== null) {
    if (r.end.error !== undefined) flattenObject(r.end.error, "error", rows);
    if (r.end.signal !== undefined) rows.push(["signal", r.end.signal]);
  }
  const start = r.start ?? {};
  const keys = [
    ...START_ORDER.filter((k) => k in start),
    ...Object.keys(start).filter((k) => !START_ORDER.includes(k)),
  ];
  // the conclusions written back first: an agent looks for them before the details
  for (const [k, v] of Object.entries(r.tags ?? {})) {
    rows.push([childPath("tags", k), v]);
  }
  const details: [string, unknown][] = [
    ["writer", r.writer],
    ["exprag_version", r.exprag_version],
  ];
  for (const k of keys) flattenObject(start[k], quoteKey(k), details);
  table(ctx.out, ["key", "value"], [
    ...rows.filter(([, v]) => !isEmpty(v)),
    ...shownDetails(details, start.unavailable),
  ], {
    paths: ["key"],
  });
  if ((r.notes ?? []).length > 0) {
    ctx.out.line();
    table(
      ctx.out,
      ["note_at", "author", "note"],
      (r.notes ?? []).map((n) => [isoTime(n.created_at), n.author, n.text]),
    );
  }
  ctx.out.line();
  if (stats.truncated) {
    // the table would otherwise look complete
    stderrLine(
      `exprag: note: statistics of the first ${MAX_SUMMARY_PATHS} numeric paths only (the run has more); exprag values PATH --run ${r.id} reads any path`,
    );
  }
  table(
    ctx.out,
    ["path", "count", "first", "last", "min", "max", "mean", "nan", "curve"],
    paths.map((
      [p, s],
    ) => [
      p,
      s.count,
      ...[s.first, s.last, s.min, s.max, reduceStats(s, "mean")].map(approx),
      s.nan,
      curve.get(p),
    ]),
    { paths: ["path"] },
  );
  return 0;
}
