/**
 * The runs of an export, streamed: a first pass over every run file decides
 * which runs pass the filters and collects the column names (metadata
 * leaves, tags, numeric paths), a second pass re-reads the kept runs one at
 * a time. Only the column names and, per kept run, its file, id and start
 * time are held: memory does not grow with the runs' contents (summaries,
 * git status, metadata), and no row is kept once it is handed on.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { flattenObject } from "../flatten.ts";
import type { PathStats } from "../summary.ts";
import { childPath } from "../value_path.ts";
import { listRunFilesAsync } from "./files.ts";
import { compileFilter, passesPlain, passesValues } from "./filter.ts";
import { segmentsOf, valuesAtSegments } from "./get_path.ts";
import { namedAfterId, sortRuns } from "./listing.ts";
import { notesAttacher } from "./notes.ts";
import { dedupeProblems, report } from "./problems.ts";
import { readRecords } from "./reader.ts";
import { readRun } from "./run_file.ts";
import { reducedValues, statsOfRun } from "./run_stats.ts";
import { recordHead } from "./select.ts";
import { _resetProbes, RUN_STATES } from "./status.ts";
import { tryParseTimestamp } from "./time.ts";
import type { ReadOptions, RunFilter, RunInfo, RunState } from "./types.ts";

/** Options of an export: where to read, which runs. */
export interface ExportOptions extends ReadOptions, RunFilter {
  /** `any` (the default) or the states of the runs to export. */
  status?: "any" | readonly RunState[];
}

/** The variable columns of a run export, each list sorted. */
export interface ExportColumns {
  /** Tag columns, e.g. `tags.verdict`. */
  tags: string[];
  /** Flattened metadata leaves, e.g. `metadata.hparams.lr`. */
  metadata: string[];
  /** Numeric track paths, e.g. `value.metrics.acc` (three columns each). */
  paths: string[];
}

/** What the first pass decided: the runs to export, in start order, and the columns. */
export interface ExportPlan {
  /** The run files, oldest run first. */
  files: string[];
  /** The variable columns (empty when not collected). */
  columns: ExportColumns;
}

/** One run of an export, read in the second pass. */
export interface ExportedRun {
  /** The run, with its records counted and its notes attached. */
  run: RunInfo;
  /** Its numeric paths' statistics (run_end's summary, else a scan). */
  paths: Readonly<Record<string, PathStats>>;
}

/** The statistics of each numeric path an export has a column for. */
export const STAT_COLUMNS = ["last", "min", "max"] as const;

/** The fixed columns of a run export, first in every row. */
export const FIXED_COLUMNS: readonly string[] = [
  "id",
  "name",
  "status",
  "status_reason",
  "started_at",
  "last_at",
  "duration_s",
  "records",
  "exit_code",
  "git.commit",
  "git.branch",
  "git.dirty",
  "notes",
];

function checkStatus(status: ExportOptions["status"]): Set<string> | null {
  if (status === undefined || status === "any") return null;
  if (!Array.isArray(status) || status.length === 0) {
    throw new UsageError(
      `Invalid status ${JSON.stringify(status)}: expected "any" or a list of ${
        RUN_STATES.join(", ")
      }`,
    );
  }
  for (const s of status) {
    if (!RUN_STATES.includes(s)) {
      throw new UsageError(
        `Invalid status ${JSON.stringify(s)}: expected one of any, ${
          RUN_STATES.join(", ")
        }`,
      );
    }
  }
  return new Set(status);
}

/** One run file of the first pass. */
interface Kept {
  id: string;
  file: string;
  started_at: string | null;
  passes: boolean;
}

/**
 * The first pass: which runs pass the filters (`since`, `until`, `where`,
 * `status`), in start order, and, when asked, the columns their rows need.
 * One run id in two files: the file named after the id wins (else the
 * first by name), as in every listing; the other is reported and skipped.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param options Directory, filters, problem handling.
 * @param collect Whether to collect the variable columns (a run export's).
 * @returns The plan.
 * @throws {UsageError} For an invalid time, clause or status, before anything is read.
 */
export async function planExport(
  options: ExportOptions,
  collect = true,
): Promise<ExportPlan> {
  const f = compileFilter(options);
  const states = checkStatus(options.status);
  const read = dedupeProblems(options);
  const attach = notesAttacher(read);
  const tags = new Set<string>(), metadata = new Set<string>();
  const paths = new Set<string>();
  const byId = new Map<string, Kept>();
  _resetProbes();
  for (const file of await listRunFilesAsync(read)) {
    const run = readRun(file, { ...read, countRecords: false });
    if (run === undefined) continue;
    const other = byId.get(run.id);
    if (other !== undefined) {
      const replaces = namedAfterId(run) && !namedAfterId(other);
      const [kept, skipped] = replaces ? [run, other] : [other, run];
      report(read, {
        file: skipped.file,
        line: 1,
        reason: `run id ${run.id} also in ${kept.file}; run skipped`,
      });
      if (!replaces) continue;
    }
    attach(run);
    const passes = (states === null || states.has(run.status)) &&
      passesPlain(run, f) && await passesValueClauses(run, f, read);
    byId.set(run.id, { id: run.id, file, started_at: run.started_at, passes });
    if (!passes || !collect) continue;
    for (const [k] of metadataLeaves(run)) metadata.add(k);
    for (const k of Object.keys(run.tags ?? {})) tags.add(childPath("tags", k));
    for (const k of Object.keys(statsOfRun(run, read).paths)) paths.add(k);
  }
  const kept = sortRuns([...byId.values()].filter((k) => k.passes));
  const sorted = (s: Set<string>) => [...s].sort();
  return {
    files: kept.map((k) => k.file),
    columns: {
      tags: sorted(tags),
      metadata: sorted(metadata),
      paths: sorted(paths),
    },
  };
}

/** A run's flattened metadata leaves; none when it recorded no metadata. */
function metadataLeaves(run: RunInfo): [string, unknown][] {
  const m = run.metadata;
  return m === null || m === undefined ? [] : flattenObject(m, "metadata");
}

async function passesValueClauses(
  run: RunInfo,
  f: ReturnType<typeof compileFilter>,
  read: ReadOptions,
): Promise<boolean> {
  if (f.values.length === 0) return true;
  const values: Record<string, unknown> = {};
  for (const key of new Set(f.values.map((c) => c.key))) {
    values[key] = (await reducedValues([run], key, f.by, read))[0].value;
  }
  return passesValues(run, f, values);
}

/**
 * The second pass: each planned run read again, one at a time, with its
 * records counted, its notes and its path statistics. A run file removed
 * since the first pass is left out.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param plan The first pass's plan.
 * @param options Directory and problem handling (the first pass's).
 * @returns The runs, oldest first.
 */
export function* exportedRuns(
  plan: ExportPlan,
  options: ReadOptions,
): Generator<ExportedRun> {
  const read = dedupeProblems(options);
  const attach = notesAttacher(read);
  _resetProbes();
  for (const file of plan.files) {
    const run = readRun(file, { ...read, countRecords: true });
    if (run === undefined) continue;
    attach(run);
    yield { run, paths: statsOfRun(run, read).paths };
  }
}

/**
 * The header of a run export: the fixed columns, the tags, the metadata
 * leaves, then `PATH.last`, `PATH.min`, `PATH.max` per numeric path.
 *
 * @param columns The plan's columns.
 * @returns The column names.
 */
export function exportHeader(columns: ExportColumns): string[] {
  return [
    ...FIXED_COLUMNS,
    ...columns.tags,
    ...columns.metadata,
    ...columns.paths.flatMap((p) => STAT_COLUMNS.map((s) => `${p}.${s}`)),
  ];
}

/** A recorded time as UTC with milliseconds; unparsable text as recorded. */
function utc(t: string | null): string | null {
  if (t === null) return null;
  const ns = tryParseTimestamp(t);
  if (ns === undefined) return t;
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

function gitField(run: RunInfo, key: "commit" | "branch" | "dirty"): unknown {
  const g = run.git as Record<string, unknown> | null;
  if (g === null || typeof g !== "object") return null;
  return g[key] ?? null;
}

/**
 * The cells of one run's row, aligned with {@linkcode exportHeader}: values
 * in recorded form (numbers; `"NaN"`, `"Infinity"`, `"-Infinity"`; strings,
 * booleans, lists and objects as recorded), `null` where the run has none.
 * A path that appeared after the first pass has no column: it is left out.
 *
 * @param r The run and its statistics.
 * @param columns The plan's columns.
 * @returns The cells.
 */
export function exportRow(
  r: ExportedRun,
  columns: ExportColumns,
): unknown[] {
  const { run } = r;
  const ms = run.duration_ms;
  const cells: unknown[] = [
    run.id,
    run.name,
    run.status,
    run.status_reason,
    utc(run.started_at),
    utc(run.last_at),
    typeof ms === "number" && Number.isFinite(ms)
      ? Math.round(ms) / 1000
      : null,
    run.records,
    run.exit_code,
    gitField(run, "commit"),
    gitField(run, "branch"),
    gitField(run, "dirty"),
    run.notes?.length ?? 0,
  ];
  const tags = run.tags ?? {};
  for (const c of columns.tags) {
    const key = segmentsOf(c)[1] as string;
    cells.push(Object.hasOwn(tags, key) ? tags[key] : null);
  }
  const meta = new Map(metadataLeaves(run));
  for (const c of columns.metadata) cells.push(meta.get(c) ?? null);
  for (const p of columns.paths) {
    const st = Object.hasOwn(r.paths, p) ? r.paths[p] : undefined;
    for (const s of STAT_COLUMNS) cells.push(st?.[s] ?? null);
  }
  return cells;
}

/** One value of a long-format export. */
export interface ExportedValue {
  /** The run id. */
  run: string;
  /** `elapsed_ms` of the record, or null. */
  elapsed_ms: number | null;
  /** `created_at` of the record, as UTC with milliseconds. */
  created_at: string | null;
  /** The path, as given. */
  path: string;
  /** The value, in recorded form. */
  value: unknown;
}

/**
 * Every value at the paths in the planned runs' track records, one at a
 * time: runs in start order, records in file order, the paths in the
 * order given (each element of a `[]` path on its own).
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param plan The first pass's plan (its columns are not needed).
 * @param paths The value paths, e.g. `value.metrics.acc`.
 * @param options Directory and problem handling.
 * @returns The values.
 * @throws {UsageError} For no path or a malformed one, before anything is read.
 */
export async function* exportedValues(
  plan: ExportPlan,
  paths: readonly string[],
  options: ReadOptions,
): AsyncGenerator<ExportedValue> {
  if (paths.length === 0) throw new UsageError("no path given");
  const parsed = paths.map((p) => segmentsOf(p));
  const read = dedupeProblems(options);
  for await (
    const { record } of readRecords({
      ...read,
      files: plan.files,
      kinds: ["track"],
    })
  ) {
    const head = recordHead(record);
    for (let i = 0; i < paths.length; i++) {
      for (const value of valuesAtSegments(record, parsed[i])) {
        yield {
          run: head.run_id,
          elapsed_ms: head.elapsed_ms,
          created_at: utc(head.created_at),
          path: paths[i],
          value,
        };
      }
    }
  }
}
