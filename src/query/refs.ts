/**
 * Run references: a full id, a unique prefix, `latest`, `latest~N`.
 *
 * @module
 */

import { loadRuns, readRun } from "./runs.ts";
import type { ReadOptions, RunInfo } from "./types.ts";

/** Why a run reference failed. */
export class RunRefError extends RangeError {
  /** `invalid` (bad syntax), `not_found`, or `ambiguous`. */
  readonly reason: "invalid" | "not_found" | "ambiguous";
  /** The matching run ids, for `ambiguous`. */
  readonly candidates: string[];
  /**
   * Creates the error.
   *
   * @param message The one-line message.
   * @param reason Why.
   * @param candidates Matching ids when ambiguous.
   */
  constructor(
    message: string,
    reason: "invalid" | "not_found" | "ambiguous",
    candidates: string[] = [],
  ) {
    super(message);
    this.name = "RunRefError";
    this.reason = reason;
    this.candidates = candidates;
  }
}

const LATEST = /^latest(?:~(\d+))?$/;
const PREFIX = /^[0-9A-Za-z_-]{1,128}$/;

/**
 * Resolves a run reference against runs sorted oldest first (as returned by
 * `listRuns`): a full id, a unique id prefix, `latest` (newest by start
 * time), or `latest~N` (N runs before the newest).
 *
 * @param ref The reference.
 * @param runs The runs, oldest first.
 * @returns The run.
 * @throws {RunRefError} (a `RangeError`) when invalid, not found or ambiguous
 *   (the message lists the candidates).
 * @throws {TypeError} When `ref` is not a string.
 * @example
 * ```ts ignore
 * import { resolveRunRef } from "./refs.ts";
 * const run = resolveRunRef("latest~1", runs);
 * ```
 */
export function resolveRunRef(ref: string, runs: readonly RunInfo[]): RunInfo {
  if (typeof ref !== "string") {
    throw new TypeError(
      `Invalid run reference ${String(ref)}: expected a string`,
    );
  }
  const m = LATEST.exec(ref);
  if (m !== null) {
    const back = m[1] === undefined ? 0 : Number(m[1]);
    if (runs.length === 0) {
      throw new RunRefError(
        `No run matches ${JSON.stringify(ref)}: there are no runs`,
        "not_found",
      );
    }
    if (back >= runs.length) {
      throw new RunRefError(
        `No run matches ${JSON.stringify(ref)}: only ${runs.length} run${
          runs.length === 1 ? "" : "s"
        }`,
        "not_found",
      );
    }
    return runs[runs.length - 1 - back];
  }
  if (!PREFIX.test(ref)) {
    throw new RunRefError(
      `Invalid run reference ${
        JSON.stringify(ref)
      }: expected a run id, a unique prefix, latest or latest~N`,
      "invalid",
    );
  }
  const lower = ref.toLowerCase();
  const exact = runs.find((r) => r.id.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const matches = runs.filter((r) => r.id.toLowerCase().startsWith(lower));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) {
    throw new RunRefError(`No run matches ${JSON.stringify(ref)}`, "not_found");
  }
  const ids = matches.map((r) => r.id);
  const shown = ids.slice(0, 10).join(", ") +
    (ids.length > 10 ? `, and ${ids.length - 10} more` : "");
  throw new RunRefError(
    `Run reference ${
      JSON.stringify(ref)
    } is ambiguous: it matches ${ids.length} runs: ${shown}`,
    "ambiguous",
    ids,
  );
}

/**
 * Resolves a run reference (full id, unique prefix, `latest`, `latest~N`)
 * against the runs in the exprag directory.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param ref The reference.
 * @param options Directory and problem handling.
 * @returns The run.
 * @throws {RunRefError} When invalid, not found or ambiguous.
 * @example
 * ```ts ignore
 * import { resolveRun } from "./refs.ts";
 * const run = await resolveRun("latest", { dir: ".exprag" });
 * ```
 */
export function resolveRun(
  ref: string,
  options: ReadOptions = {},
): Promise<RunInfo> {
  // validate syntax before reading anything
  if (typeof ref !== "string") {
    return Promise.reject(
      new TypeError(`Invalid run reference ${String(ref)}: expected a string`),
    );
  }
  if (!LATEST.test(ref) && !PREFIX.test(ref)) {
    return Promise.reject(
      new RunRefError(
        `Invalid run reference ${
          JSON.stringify(ref)
        }: expected a run id, a unique prefix, latest or latest~N`,
        "invalid",
      ),
    );
  }
  try {
    const run = resolveRunRef(
      ref,
      loadRuns({ ...options, countRecords: false }),
    );
    return Promise.resolve(
      readRun(run.file, { ...options, onProblem: undefined, strict: false }) ??
        run,
    );
  } catch (e) {
    return Promise.reject(e);
  }
}
