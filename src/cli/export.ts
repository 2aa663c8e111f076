/**
 * `exprag export`: the runs as CSV, TSV or JSON Lines for DuckDB, pandas or
 * Spark, one row per run (or, with `--records`, one row per value), on
 * stdout or into a new file (`--output`, never overwriting one).
 *
 * Streams: the first pass over the runs collects the columns, the second
 * writes each row as it is read (src/query/export_runs.ts).
 *
 * @module
 */

import { isAbsolute, relative, resolve } from "../path.ts";
import { RefusedError, UsageError } from "../errors.ts";
import {
  exportedRuns,
  exportedValues,
  exportHeader,
  type ExportOptions,
  exportRow,
  planExport,
} from "../query/export_runs.ts";
import { segmentsOf } from "../query/get_path.ts";
import { dedupeProblems } from "../query/problems.ts";
import { emptyNote, readOptions, runFilter, statusFlag } from "./common.ts";
import type { Context } from "./context.ts";
import { type ExportFormat, RowWriter } from "./export_format.ts";
import { escapeText, Out, stderrLine } from "./format.ts";
import { canonicalPath, DISPLAY_UNSAFE } from "../value_path.ts";
import { suggestPaths } from "./suggest.ts";
import { createNoFollow } from "./safe_write.ts";

/** Controls and bidi characters a terminal would act on (tab and newline kept). */
const TERMINAL_UNSAFE = new RegExp(
  `[${DISPLAY_UNSAFE.replace("\\x00-\\x1f", "\\x00-\\x08\\x0b-\\x1f")}]`,
  "g",
);

/**
 * Stdout for an export: on a terminal, control and bidirectional
 * characters from the records are shown escaped (`\x1b`, `\u202e`), so a
 * hostile run name cannot drive the terminal; a pipe or file gets the
 * exact bytes.
 */
function stdoutFor(ctx: Context): Out {
  let tty = false;
  try {
    tty = Deno.stdout.isTerminal();
  } catch { /* not a terminal */ }
  if (!tty) return ctx.out;
  return new Out({
    writeSync(p: Uint8Array): number {
      const text = new TextDecoder().decode(p).replace(TERMINAL_UNSAFE, (c) => {
        const code = c.charCodeAt(0);
        return code <= 0xff
          ? `\\x${code.toString(16).padStart(2, "0")}`
          : `\\u${code.toString(16).padStart(4, "0")}`;
      });
      ctx.out.write(text);
      ctx.out.flush();
      return p.length;
    },
  });
}

/**
 * Refuses an `--output` inside the exprag directory: a file there would be
 * read as a run (or notes) file by the next reader, this export included.
 *
 * @throws {RefusedError} When the path lies inside it.
 */
function refuseInsideExprag(ctx: Context, path: string): void {
  const rel = relative(resolve(ctx.dir), resolve(path));
  if (rel.startsWith("..") || isAbsolute(rel)) return;
  throw new RefusedError(
    `refusing to write ${path}: it is inside the exprag directory ${ctx.dir} (readers would take it for a run file); choose a path outside it`,
  );
}

/** The header of `--records` exports. */
const VALUE_HEADER = ["run", "elapsed_ms", "created_at", "path", "value"];

/** The format of an invocation: `--format`, or jsonl for `--json`. */
function formatOf(ctx: Context): ExportFormat {
  const f = ctx.options.format as ExportFormat | undefined;
  if (ctx.json && f !== undefined && f !== "jsonl") {
    throw new UsageError(`--json and --format ${f} disagree`, "export");
  }
  return f ?? (ctx.json ? "jsonl" : "csv");
}

/**
 * A `--records` value cell in CSV and TSV: numbers as numbers (NaN and the
 * infinities as recorded), anything else JSON-encoded.
 */
function valueCell(v: unknown, format: ExportFormat): unknown {
  if (format === "jsonl" || typeof v === "number") return v;
  if (v === "NaN" || v === "Infinity" || v === "-Infinity") return v;
  return JSON.stringify(v);
}

/** The note for a `--records` path no exported record has a value at. */
async function noValuesNote(ctx: Context, path: string): Promise<void> {
  const near = await suggestPaths(ctx, path);
  stderrLine(
    `exprag: note: no values at ${escapeText(path)}; ${
      near.length > 0
        ? `did you mean ${near.map(escapeText).join(" or ")}?`
        : /^value\./.test(path)
        ? "no exported run recorded it:"
        : "track value paths start with value., e.g. value.metrics.loss:"
    } see exprag paths`,
  );
}

/** Writes the rows of the plan; returns how many. */
async function writeRows(
  ctx: Context,
  out: Out,
  options: ExportOptions,
  format: ExportFormat,
): Promise<number> {
  const records = ctx.options.records === true;
  const plan = await planExport(options, !records);
  let n = 0;
  if (records) {
    const w = new RowWriter(format, VALUE_HEADER);
    out.write(w.header());
    // each path once, written as the per-run columns write it
    const paths = [...new Set(ctx.args.map(canonicalPath))];
    const empty = new Set(paths);
    for await (const v of exportedValues(plan, paths, options)) {
      empty.delete(v.path);
      out.write(w.row([
        v.run,
        v.elapsed_ms,
        v.created_at,
        v.path,
        valueCell(v.value, format),
      ]));
      n++;
      if (out.closed) break;
    }
    if (!out.closed) { for (const p of empty) await noValuesNote(ctx, p); }
    return n;
  }
  const w = new RowWriter(format, exportHeader(plan.columns));
  out.write(w.header());
  for (const r of exportedRuns(plan, options)) {
    out.write(w.row(exportRow(r, plan.columns)));
    n++;
    if (out.closed) break;
  }
  return n;
}

/**
 * Runs `export`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const format = formatOf(ctx);
  const records = ctx.options.records === true;
  if (records && ctx.args.length === 0) {
    throw new UsageError(
      "--records needs at least one PATH, e.g. value.metrics.loss",
      "export",
    );
  }
  if (!records && ctx.args.length > 0) {
    throw new UsageError(
      `PATH ${JSON.stringify(ctx.args[0])} is only taken with --records`,
      "export",
    );
  }
  for (const p of ctx.args) segmentsOf(p); // checked before anything is read
  const status = ctx.options.status as string | undefined;
  const options: ExportOptions = {
    ...dedupeProblems(readOptions(ctx)),
    ...runFilter(ctx),
    status: status === undefined ? "any" : statusFlag(status, "export"),
  };
  const path = ctx.options.output as string | undefined;
  if (path === undefined) {
    const out = stdoutFor(ctx);
    const n = await writeRows(ctx, out, options, format);
    out.flush();
    if (n === 0) {
      const note = await emptyNote(ctx);
      if (note !== undefined) stderrLine(`exprag: note: ${note}`);
    }
    return 0;
  }
  refuseInsideExprag(ctx, path);
  const file = createNoFollow(path);
  let n: number;
  const out = new Out(file);
  try {
    n = await writeRows(ctx, out, options, format);
    out.flush();
    if (out.error !== undefined) {
      throw new Error(`cannot write ${path}: ${out.error.message}`);
    }
    file.syncSync();
  } catch (e) {
    file.close();
    try {
      Deno.removeSync(path); // the partial file this invocation created
    } catch { /* gone already */ }
    throw e;
  }
  file.close();
  stderrLine(
    `exprag: note: wrote ${n} ${records ? "value" : "run"} row${
      n === 1 ? "" : "s"
    } to ${path}`,
  );
  return 0;
}
