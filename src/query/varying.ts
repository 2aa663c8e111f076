/**
 * Which leaves differ between runs: the metadata leaves of each run as
 * `path → JSON text`, and the paths whose text is not the same in every
 * run (absent counts as a value). Used by `runs` (one column per varying
 * metadata leaf) and by `best --group-by` (what else varies in a group).
 *
 * @module
 */

import { flattenObject } from "../flatten.ts";

/**
 * The metadata leaves of a run as `path → JSON text` (`metadata.hparams.lr`
 * → `"0.01"`); an absent or null metadata gives no leaf.
 *
 * @param metadata The run's `metadata`.
 * @returns The leaves, in key order.
 */
export function metadataLeaves(metadata: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of flattenObject(metadata ?? null, "metadata")) {
    if (k !== "metadata" || v !== null) out.set(k, JSON.stringify(v));
  }
  return out;
}

/**
 * The keys whose value is not the same in every map (a key some maps lack
 * differs), in first-seen order.
 *
 * @param maps One map per run.
 * @returns The differing keys.
 */
export function differingKeys(
  maps: Iterable<ReadonlyMap<string, string>>,
): string[] {
  let first: ReadonlyMap<string, string> | undefined;
  const seen = new Set<string>(); // first-seen order
  const differs = new Set<string>();
  for (const m of maps) {
    first ??= m;
    for (const k of m.keys()) {
      seen.add(k);
      if (m.get(k) !== first.get(k)) differs.add(k);
    }
    if (m !== first) {
      for (const k of first.keys()) if (!m.has(k)) differs.add(k);
    }
  }
  return [...seen].filter((k) => differs.has(k));
}
