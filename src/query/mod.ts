/**
 * The reading API of exprag for Deno: streaming records, runs with their
 * status, value paths, values, best runs, `where` filters, comparisons.
 *
 * Every function requires `--allow-read` for the exprag directory, and
 * never prompts for any permission.
 *
 * @module
 */

export type * from "./public_types.ts";
export type {
  Comparison,
  DiscoverOptions,
  ExpragRecord,
  MetadataDiff,
  PathComparison,
  PathInfo,
  RunStats,
  SourcedRecord,
} from "./types.ts";
export { NotFoundError, ProblemError, UsageError } from "../errors.ts";
export { isValidRunId, listRunFiles, resolveDir, runsDir } from "./files.ts";
export {
  compareTimestamps,
  parseTimeBound,
  parseTimestamp,
  tryParseTimestamp,
} from "./time.ts";
export { readRecords, type ReadRecordsOptions } from "./reader.ts";
export {
  inferStatus,
  isLocked,
  type StatusInference,
  type StatusInput,
} from "./status.ts";
export { readRun, type ReadRunOptions } from "./run_file.ts";
export {
  type CatalogOptions,
  type InCatalog,
  listRuns,
  resolveRun,
  RunCatalog,
} from "./catalog.ts";
export { resolveRunRef, RunRefError, RunRefSyntaxError } from "./refs.ts";
export { getPath, valuesAt } from "./get_path.ts";
export { discoverPaths, selectValues } from "./select.ts";
export { matchesWhere, parseWhere } from "./where.ts";
export { bestRuns } from "./best.ts";
export { reduceStats } from "./reduce.ts";
export { pathStats, runStats } from "./stats.ts";
export { compareRuns } from "./compare.ts";
export { readNotes, type RunNotes } from "./notes.ts";
export type {
  NoteHead,
  NoteKind,
  NoteRecord,
  NotesRecord,
  TagRecord,
} from "../note_record.ts";
