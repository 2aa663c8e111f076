/**
 * What cli.ts hands to a command implementation.
 *
 * @module
 */

import type { Out } from "./format.ts";
import type { Problem } from "../query/mod.ts";

/**
 * Runs a command line in-process as `main` would (parse, permission check,
 * the command's module), writing its stdout to `out`; errors are thrown, not
 * reported (see `src/errors.ts` for their classes).
 *
 * @param args The arguments after the program name, e.g. `["runs", "--json"]`.
 * @param out Where the command's stdout goes.
 * @returns The command's exit code.
 */
export type Execute = (args: readonly string[], out: Out) => Promise<number>;

/** The context of one command invocation. */
export interface Context {
  /** The exprag directory (`--dir`, `$EXPRAG_DIR` or `.exprag`). */
  dir: string;
  /** `--json`. */
  json: boolean;
  /** `--strict`. */
  strict: boolean;
  /** Positional arguments after the command word. */
  args: string[];
  /** Parsed command options (see parse.ts). */
  options: Record<string, unknown>;
  /** stdout. */
  out: Out;
  /** Reports a skipped line or file once, as `file:line: reason` on stderr. */
  onProblem: (p: Problem) => void;
  /** Runs another command in-process (set by cli.ts; `exprag mcp` uses it). */
  execute?: Execute;
}

/** A command implementation (one module per command, loaded lazily). */
export interface CommandModule {
  /**
   * Runs the command.
   *
   * @param ctx The invocation.
   * @returns The exit code.
   */
  run(ctx: Context): number | Promise<number>;
}
