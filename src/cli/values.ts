/**
 * `exprag values PATH...`: every value at a path with its source line, or
 * several paths side by side, one row per record; `--tail`, `--every`, and
 * a default limit with a note when rows were left out.
 *
 * @module
 */

import { selectValues } from "../query/mod.ts";
import { selectRecordValues } from "../query/record_values.ts";
import { catalog, missingDirNote, withRefNote } from "./common.ts";
import type { Context } from "./context.ts";
import { isoTime, json, stderrLine, table } from "./format.ts";
import { NotFoundError } from "../errors.ts";
import { suggestPaths } from "./suggest.ts";

/** Rows shown when neither --limit nor --tail is given. */
export const DEFAULT_ROWS = 200;

/** A row of the values table: one value (one path) or one record (several). */
interface Row {
  run_id: string;
  created_at: string | null;
  elapsed_ms: number | null;
  cells: unknown[];
  note: string | null;
  file: string;
  line: number;
  json: Record<string, unknown>;
}

/**
 * The rows `shown` can show, when fewer than all: with `--limit N` (and no
 * `--tail`), the first N × `--every` rows.
 */
function needed(ctx: Context): number | undefined {
  const limit = ctx.options.limit as number | undefined;
  if (limit === undefined || ctx.options.tail !== undefined) return undefined;
  return limit * ((ctx.options.every as number | undefined) ?? 1);
}

async function rowsOf(
  ctx: Context,
  paths: string[],
  limit: number | undefined,
): Promise<Row[]> {
  const options = {
    run: ctx.options.run as string | undefined,
    catalog: catalog(ctx),
    limit,
  };
  if (paths.length === 1) {
    const rows = await withRefNote(ctx, () => selectValues(paths[0], options));
    return rows.map((r) => ({ ...r, cells: [r.value], json: { ...r } }));
  }
  const rows = await withRefNote(
    ctx,
    () => selectRecordValues(paths, options),
  );
  return rows.map((r) => ({
    ...r,
    cells: paths.map((p) => r.values[p]),
    json: { ...r },
  }));
}

/** The error for a path no row has a value at, with a "did you mean". */
async function noValues(ctx: Context, path: string): Promise<never> {
  // user text in a one-line error: plain when safe, else JSON-quoted
  const q = (s: string) => /^[\w.\[\]~-]+$/.test(s) ? s : JSON.stringify(s);
  const dirNote = missingDirNote(ctx);
  if (dirNote !== undefined) throw new NotFoundError(dirNote);
  const run = ctx.options.run as string | undefined;
  const near = await suggestPaths(ctx, path);
  throw new NotFoundError(
    `no values at ${q(path)}${run === undefined ? "" : ` in run ${q(run)}`}; ${
      near.length > 0
        ? `did you mean ${near.join(" or ")}?`
        : /^value\./.test(path)
        ? "no run recorded it:"
        : "track value paths start with value., e.g. value.metrics.loss:"
    } see exprag paths${run === undefined ? "" : ` --run ${q(run)}`}`,
  );
}

/**
 * The rows shown: every K-th (`--every`), then the last N (`--tail`) or
 * the first N (`--limit`, else for tables {@linkcode DEFAULT_ROWS} with a
 * note).
 */
function shown(ctx: Context, rows: Row[]): { rows: Row[]; note?: string } {
  const every = (ctx.options.every as number | undefined) ?? 1;
  const thinned = every > 1 ? rows.filter((_, i) => i % every === 0) : rows;
  const tail = ctx.options.tail as number | undefined;
  if (tail !== undefined) return { rows: thinned.slice(-tail) };
  const limit = ctx.options.limit as number | undefined;
  if (limit !== undefined) return { rows: thinned.slice(0, limit) };
  // --json is complete (machine readers page themselves); tables are for reading
  if (ctx.json || thinned.length <= DEFAULT_ROWS) return { rows: thinned };
  return {
    rows: thinned.slice(0, DEFAULT_ROWS),
    note:
      `showing the first ${DEFAULT_ROWS} of ${thinned.length} rows; --tail N shows the last, --every K every K-th, --limit N more`,
  };
}

/**
 * Runs `values`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const paths = ctx.args;
  const limit = needed(ctx);
  const missingIn = (rows: Row[]) =>
    paths.length === 1
      ? (rows.length === 0 ? paths[0] : undefined)
      : paths.find((_, i) => rows.every((r) => r.cells[i] === null));
  let all = await rowsOf(ctx, paths, limit);
  let missing = missingIn(all);
  if (missing !== undefined && limit !== undefined && all.length >= limit) {
    // a path without values in the first rows may have some later
    all = await rowsOf(ctx, paths, undefined);
    missing = missingIn(all);
  }
  if (missing !== undefined) await noValues(ctx, missing);
  const { rows, note } = shown(ctx, all);
  if (ctx.json) {
    json(
      ctx.out,
      rows.map((r) => ({ ...r.json, source: `${r.file}:${r.line}` })),
    );
    return 0;
  }
  // a record's note is shown once, where it changes (or a new run starts)
  const notes = rows.map((r, i) =>
    i > 0 && rows[i - 1].note === r.note && rows[i - 1].run_id === r.run_id
      ? null
      : r.note
  );
  // one run: its id and file once, not on every row
  const one = ctx.options.run !== undefined;
  if (one && rows.length > 0) {
    stderrLine(`exprag: note: run ${rows[0].run_id}, lines of ${rows[0].file}`);
  }
  table(
    ctx.out,
    [
      ...(one ? [] : ["run"]),
      "time",
      "elapsed_ms",
      ...(paths.length === 1 ? ["value"] : paths),
      "note",
      one ? "line" : "source",
    ],
    rows.map((r, i) => [
      ...(one ? [] : [r.run_id]),
      isoTime(r.created_at),
      r.elapsed_ms,
      ...r.cells,
      notes[i],
      one ? r.line : `${r.file}:${r.line}`,
    ]),
  );
  if (note !== undefined) {
    ctx.out.flush(); // the note follows the rows it is about, if they were written
    if (ctx.out.error === undefined) stderrLine(`exprag: note: ${note}`);
  }
  return 0;
}
