/**
 * The metadata columns of the tables that list runs (`runs`, `best`):
 * one column per metadata leaf that differs between the rows, and a note
 * naming the leaves that are the same in all.
 *
 * @module
 */

import type { RunInfo } from "../query/mod.ts";
import { differingKeys, metadataLeaves } from "../query/varying.ts";
import { stderrLine } from "./format.ts";

/** At most this many varying metadata leaves become columns of their own. */
export const MAX_METADATA_COLUMNS = 8;

/** The longest list of unchanging metadata a note spells out. */
const MAX_CONSTANT_NOTE = 400;

/**
 * The metadata columns of the standard table: with two runs or more, one
 * column per metadata leaf that differs between them (at most
 * {@linkcode MAX_METADATA_COLUMNS}), and a note naming the leaves that are
 * the same in all; otherwise the whole `metadata` as one column.
 *
 * @param runs The runs listed (table rows).
 * @returns The column names: metadata leaf paths, or `["metadata"]`.
 */
export function metadataColumns(runs: readonly RunInfo[]): string[] {
  if (runs.length < 2) return ["metadata"];
  const first = metadataLeaves(runs[0].metadata);
  // one run's leaves at a time: a listing of 100,000 runs holds no 100,000 maps
  const varying = differingKeys(
    (function* () {
      yield first;
      for (let i = 1; i < runs.length; i++) {
        yield metadataLeaves(runs[i].metadata);
      }
    })(),
  );
  if (varying.length > MAX_METADATA_COLUMNS) return ["metadata"];
  const same = [...first].filter(([k]) => !varying.includes(k));
  if (same.length > 0) {
    let text = same.map(([k, v]) => `${k}=${v}`).join(", ");
    if (text.length > MAX_CONSTANT_NOTE) {
      text = `${text.slice(0, MAX_CONSTANT_NOTE)}… (--json has all)`;
    }
    stderrLine(
      `exprag: note: the same in all ${runs.length} runs listed: ${text}`,
    );
  }
  return varying;
}

/**
 * The cells of a run for {@linkcode metadataColumns}' columns: each leaf's
 * value (empty where the run has none), or the whole metadata.
 *
 * @param run The run.
 * @param columns The metadata columns.
 * @returns One cell per column.
 */
export function metadataCells(
  run: RunInfo,
  columns: readonly string[],
): unknown[] {
  if (columns.length === 1 && columns[0] === "metadata") {
    return [run.metadata ?? null];
  }
  const leaves = metadataLeaves(run.metadata);
  return columns.map((c) => {
    const v = leaves.get(c);
    return v === undefined ? null : JSON.parse(v);
  });
}
