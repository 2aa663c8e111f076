/**
 * Run references: a full id, a unique prefix, `latest`, `latest~N`.
 *
 * @module
 */

import { NotFoundError, UsageError } from "../errors.ts";
import type { RunInfo } from "./types.ts";

/**
 * A run reference that matches no run, or several (`reason`), with the
 * matching ids as `candidates`: a {@linkcode NotFoundError} (exit 1).
 */
export class RunRefError extends NotFoundError {
  /** `not_found` or `ambiguous` (`invalid` is a {@linkcode RunRefSyntaxError}). */
  readonly reason: "invalid" | "not_found" | "ambiguous";
  /** The matching run ids, for `ambiguous` (a copy the caller may sort). */
  declare readonly candidates: string[];
  /**
   * Creates the error.
   *
   * @param message The one-line message.
   * @param reason Why.
   * @param candidates Matching ids when ambiguous.
   */
  constructor(
    message: string,
    reason: "not_found" | "ambiguous",
    candidates: string[] = [],
  ) {
    super(message, candidates);
    this.name = "RunRefError";
    this.reason = reason;
  }
}

/** A run reference that is no id, prefix, `latest` or `latest~N`: a {@linkcode UsageError} (exit 2). */
export class RunRefSyntaxError extends UsageError {
  /** Always `invalid`, as {@linkcode RunRefError.reason}. */
  readonly reason = "invalid" as const;
  /** Always empty. */
  readonly candidates: readonly string[] = [];
  /**
   * Creates the error.
   *
   * @param ref The reference as given.
   */
  constructor(ref: string) {
    super(
      `Invalid run reference ${
        JSON.stringify(ref)
      }: expected a run id, a unique prefix, latest or latest~N`,
    );
    this.name = "RunRefSyntaxError";
  }
}

const LATEST = /^latest(?:~(\d+))?$/;
const PREFIX = /^[0-9A-Za-z_-]{1,128}$/;

/**
 * Resolves a run reference against runs sorted oldest first (as returned by
 * `listRuns`): a full id, a unique id prefix, `latest` (newest by start
 * time), or `latest~N` (N runs before the newest). Ids and prefixes match
 * exactly, case-sensitively: a reference in another case names another
 * run (ids are strings; two runs may differ in case only).
 *
 * @param ref The reference.
 * @param runs The runs, oldest first.
 * @returns The run.
 * @throws {RunRefSyntaxError} (a `UsageError`) when invalid.
 * @throws {RunRefError} (a `NotFoundError`) when not found or ambiguous
 *   (the message lists the candidates).
 * @throws {TypeError} When `ref` is not a string.
 *
 * @example A reference against a listing
 * ```ts
 * import { resolveRunRef } from "./refs.ts";
 * import { listRuns } from "./catalog.ts";
 * import { Experiment } from "../tracker/experiment.ts";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * for (const name of ["a", "b"]) new Experiment(name, { dir, git: false }).end();
 * equal(resolveRunRef("latest~1", await listRuns({ dir })).name, "a");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function resolveRunRef(ref: string, runs: readonly RunInfo[]): RunInfo {
  checkRunRef(ref);
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
  if (!PREFIX.test(ref)) throw new RunRefSyntaxError(ref);
  // case-sensitive: ids are strings, `ABC` and `abc` may be two runs
  const exact = runs.find((r) => r.id === ref);
  if (exact !== undefined) return exact;
  const matches = runs.filter((r) => r.id.startsWith(ref));
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
 * Checks the syntax of a run reference, before anything is read.
 *
 * @param ref The reference.
 * @throws {RunRefSyntaxError} When it is no id, prefix, `latest` or `latest~N`.
 * @throws {TypeError} When `ref` is not a string.
 */
export function checkRunRef(ref: string): void {
  if (typeof ref !== "string") {
    throw new TypeError(
      `Invalid run reference ${String(ref)}: expected a string`,
    );
  }
  if (!LATEST.test(ref) && !PREFIX.test(ref)) throw new RunRefSyntaxError(ref);
}
