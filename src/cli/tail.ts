/**
 * `exprag tail RUN [PATH...]`: the latest values of a run, compactly; with
 * `--follow`, new records as they arrive until the run ends or `--timeout`.
 *
 * Output (table): one row per track record (line, elapsed_ms, one column
 * per path), then the curve of each numeric path, then one `status:` line.
 * With `--json`: one JSON object per line (NDJSON), `kind` `track` per
 * record and a last `kind` `status` object holding the curves.
 *
 * @module
 */

import { getPath, readRun, type RunInfo } from "../query/mod.ts";
import { RunFollower } from "../query/follow.ts";
import { trackPathKey } from "../query/get_path.ts";
import { _resetProbes, inferStatus, isDenoRunStart } from "../query/status.ts";
import type { ExpragRecord, SourcedRecord } from "../query/types.ts";
import { childPath } from "../value_path.ts";
import { catalog, resolveRef } from "./common.ts";
import type { Context } from "./context.ts";
import { cell, seconds, stderrLine, table } from "./format.ts";
import { type Curve, curves } from "./curves.ts";

/** Columns shown when no PATH is given: the last record's first leaf paths. */
const DEFAULT_COLUMNS = 8;

/** The leaf paths of a track value (lists are leaves, shown as JSON). */
function leafPaths(value: unknown, path: string, out: string[]): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const key of Object.keys(value)) {
      leafPaths(
        (value as Record<string, unknown>)[key],
        childPath(path, key),
        out,
      );
    }
  } else out.push(path);
}

/** Writes records as rows (table) or NDJSON lines. */
class RecordWriter {
  #ctx: Context;
  #header = false;
  #paths: readonly string[] | undefined;

  /** @param ctx The invocation (its PATHs, if any, are the columns). */
  constructor(ctx: Context) {
    this.#ctx = ctx;
    const given = ctx.args.slice(1).map((p) => trackPathKey(p));
    if (given.length > 0) this.#paths = given;
  }

  /** The columns (none before the first track record, unless given). */
  get paths(): readonly string[] {
    return this.#paths ?? [];
  }

  write(recs: readonly SourcedRecord[]): void {
    const { out, json } = this.#ctx;
    if (this.#paths === undefined) {
      const last = recs.findLast((r) => r.record.kind === "track");
      if (last === undefined) return; // columns from the first track record
      this.#paths = defaultColumns(last.record);
    }
    if (!json && !this.#header) {
      this.#header = true;
      table(out, ["line", "elapsed_ms", ...this.#paths], []);
    }
    for (const { record, line } of recs) {
      if (record.kind !== "track") continue;
      const values = this.#paths.map((p) => getPath(record, p));
      if (json) {
        out.line(JSON.stringify({
          kind: "track",
          line,
          elapsed_ms: record.elapsed_ms ?? null,
          created_at: record.created_at ?? null,
          values: Object.fromEntries(
            this.#paths.map((p, i) => [p, values[i] ?? null]),
          ),
        }));
      } else {
        out.line([line, record.elapsed_ms, ...values].map(cell).join("\t"));
      }
    }
  }
}

/** The status line (table) or status object (NDJSON), with the curves. */
function writeStatus(ctx: Context, run: RunInfo, found: Curve[]): void {
  const error = run.end?.error as { message?: unknown } | undefined;
  const details = [
    run.status_reason,
    typeof error?.message === "string" ? `error: ${error.message}` : null,
    run.exit_code === null ? null : `exit_code ${run.exit_code}`,
    run.records === null ? null : `${run.records} records`,
    run.duration_ms === null ? null : `${seconds(run.duration_ms)} s`,
  ].filter((d) => d !== null);
  if (ctx.json) {
    ctx.out.line(JSON.stringify({
      kind: "status",
      run: run.id,
      status: run.status,
      status_reason: run.status_reason,
      exit_code: run.exit_code,
      records: run.records,
      duration_ms: run.duration_ms,
      curves: found,
    }));
    return;
  }
  if (found.length > 0) {
    ctx.out.line();
    table(
      ctx.out,
      ["path", "count", "last", "min", "max", "curve"],
      found.map((c) => [c.path, c.count, c.last, c.min, c.max, c.curve]),
    );
  }
  ctx.out.line(
    `status: ${run.status}${
      details.length > 0 ? ` (${details.join("; ")})` : ""
    }`,
  );
}

/** The default columns: a track record's first leaf paths. */
function defaultColumns(record: ExpragRecord): string[] {
  const paths: string[] = [];
  leafPaths(record.value, "value", paths);
  if (paths.length > DEFAULT_COLUMNS) {
    stderrLine(
      `exprag: note: showing ${DEFAULT_COLUMNS} of ${paths.length} paths; name the paths to show: exprag tail RUN PATH...`,
    );
  }
  return paths.slice(0, DEFAULT_COLUMNS);
}

/** Whether the writer of a run without run_end is still at work. */
function stillRunning(run: RunInfo, last: ExpragRecord | undefined): string {
  _resetProbes(); // a process seen alive may have died since
  return inferStatus({
    file: run.file,
    start: run.start,
    deno: isDenoRunStart(run.start),
    started_at: run.started_at,
    last_at: typeof last?.created_at === "string"
      ? last.created_at
      : run.last_at,
    end: null,
  }).status;
}

/**
 * Runs `tail`.
 *
 * @param ctx The invocation.
 * @returns The exit code: 0, or 1 when a followed run ended without
 *   run_end (crashed) or its state cannot be told.
 */
export async function run(ctx: Context): Promise<number> {
  const writer = new RecordWriter(ctx); // PATHs checked before reading
  const r = await resolveRef(ctx, ctx.args[0]);
  const n = (ctx.options.lines as number | undefined) ?? 10;
  const follower = new RunFollower(r.file, {
    ...catalog(ctx).options,
    firstLines: n + 3, // run_start, run_end and a bad line besides
  });
  const first = follower.poll();
  const tracks = first.filter((x) => x.record.kind === "track").slice(-n);
  writer.write(tracks);
  const ended = first.some((x) => x.record.kind === "run_end");
  if (!ctx.options.follow || ended || r.end !== null) {
    const now = ended ? readRun(r.file, { countRecords: true }) ?? r : r;
    writeStatus(ctx, now, curves(ctx, now, writer.paths));
    return 0;
  }
  return await follow(ctx, r, follower, writer);
}

/** Follows a live run until its run_end, its writer's end, or the timeout. */
async function follow(
  ctx: Context,
  r: RunInfo,
  follower: RunFollower,
  writer: RecordWriter,
): Promise<number> {
  const everyMs = (ctx.options["every-ms"] as number | undefined) ?? 500;
  const timeout = ctx.options.timeout as number | undefined;
  const deadline = timeout === undefined
    ? Infinity
    : Date.now() + timeout * 1000;
  let last: ExpragRecord | undefined;
  let state = "running";
  while (true) {
    ctx.out.flush();
    if (ctx.out.closed) return 0;
    const left = deadline - Date.now();
    if (left <= 0) break;
    await new Promise((ok) => setTimeout(ok, Math.min(everyMs, left)));
    let recs = follower.poll();
    if (!recs.some((x) => x.record.kind === "run_end")) {
      state = stillRunning(r, recs.at(-1)?.record ?? last);
      // gone: what it left, a torn last line included
      if (state === "crashed") recs = [...recs, ...follower.finish()];
    }
    writer.write(recs);
    last = recs.at(-1)?.record ?? last;
    if (recs.some((x) => x.record.kind === "run_end")) state = "ended";
    if (state === "ended" || state === "crashed") break;
    if (state === "unknown" && timeout === undefined) break;
  }
  const now = readRun(r.file, { countRecords: true }) ?? r;
  writeStatus(ctx, now, curves(ctx, now, writer.paths));
  if (now.end !== null) return 0;
  if (now.status === "running") {
    stderrLine(`exprag: note: still running after ${timeout} s`);
    return 0;
  }
  return 1;
}
