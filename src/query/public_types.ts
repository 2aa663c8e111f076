/**
 * The types of the reading API that the package root (mod.ts) exports: what
 * its functions take and return, and the record types read runs carry. One
 * list for mod.ts and src/query/mod.ts; type-only, so importing it loads
 * nothing.
 *
 * @module
 */

export type {
  BestOptions,
  BestResult,
  BestRow,
  ListRunsOptions,
  Problem,
  ReadOptions,
  Reducer,
  RunEnd,
  RunFilter,
  RunInfo,
  RunNote,
  RunState,
  ValueRow,
  ValuesOptions,
  WhereClause,
} from "./types.ts";
export type { PathStats, RecordedNumber } from "../summary.ts";
// the record format's own types, as read runs carry them (`RunInfo.git`, `RunEnd`)
export type { ErrorInfo, GitState, RunEndValue } from "../record.ts";
