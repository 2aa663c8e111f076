/**
 * Every error class of exprag for Deno, each carrying its data and knowing
 * the exit code the CLI gives it: the CLI maps errors to exit codes by class
 * only, never by the wording of a message.
 *
 * | class                    | exit | when                                        |
 * | ------------------------ | ---- | ------------------------------------------- |
 * | {@linkcode UsageError}   | 2    | bad arguments: a flag, a path, a `--where`  |
 * | {@linkcode NotFoundError}| 1    | no such run, path or file                   |
 * | {@linkcode PermissionError} | 1 | a permission was not granted (names the flag) |
 * | {@linkcode ProblemError} | 1    | bad data at `file:line` (strict reading)     |
 * | {@linkcode GitNotFoundError} | 1 | git is not installed                       |
 * | {@linkcode GitError}     | 1    | git ran and failed (its `fatal:` line)      |
 * | {@linkcode RefusedError} | 1    | acting would harm the user's files         |
 *
 * Any other error exits 1.
 *
 * @module
 */

/**
 * A line or file the reader skipped, for `file:line: reason` messages.
 *
 * @example Strict reading throws on the first problem
 * ```ts
 * import { listRuns, type Problem } from "@exprag/cli";
 * import { equal, rejects } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * Deno.mkdirSync(`${dir}/runs`);
 * Deno.writeTextFileSync(`${dir}/runs/bad.jsonl`, "not json\n");
 * const seen: Problem[] = [];
 * await listRuns({ dir, onProblem: (p) => seen.push(p) });
 * equal(seen[0].line, 1);
 * await rejects(listRuns({ dir, strict: true }), /bad\.jsonl:1: /);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface Problem {
  /** The file, as listed under the runs directory. */
  file: string;
  /** The 1-based line, or 0 when the problem concerns the whole file. */
  line: number;
  /** What is wrong, one line, e.g. `invalid JSON (torn line?)`. */
  reason: string;
}

/**
 * A problem as one line: `file:line: reason`, or `file: reason` for a
 * problem with the whole file.
 *
 * @param p The problem.
 * @returns The line.
 */
export function problemText(p: Problem): string {
  return p.line > 0
    ? `${p.file}:${p.line}: ${p.reason}`
    : `${p.file}: ${p.reason}`;
}

/** Bad input from the caller: a flag, a path, a filter, a run reference. */
export class UsageError extends RangeError {
  /** The CLI's exit code for this error. */
  readonly exitCode = 2;
  /** The command the error concerns, for the `--help` hint. */
  command?: string;
  /**
   * Creates the error.
   *
   * @param message What is wrong, one line.
   * @param command The command, when known.
   */
  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/**
 * Something asked for does not exist: a run, a path, a file. A `RangeError`
 * (the reference is outside what exists), as unknown run references were
 * before this class existed.
 */
export class NotFoundError extends RangeError {
  /** The CLI's exit code for this error. */
  readonly exitCode = 1;
  /** Near matches to suggest (run ids, paths), when any. */
  readonly candidates: readonly string[];
  /**
   * Creates the error.
   *
   * @param message What was not found, one line.
   * @param candidates Near matches, when any.
   */
  constructor(message: string, candidates: readonly string[] = []) {
    super(message);
    this.name = "NotFoundError";
    this.candidates = candidates;
  }
}

/** A permission was not granted; the message names the flag to add. */
export class PermissionError extends Error {
  /** The CLI's exit code for this error. */
  readonly exitCode = 1;
  /** The permission that is missing. */
  readonly descriptor: Deno.PermissionDescriptor;
  /** The flag that grants it, e.g. `--allow-read=.exprag`. */
  readonly flag: string;
  /**
   * Creates the error.
   *
   * @param message What could not be done, ending with the flag to add.
   * @param descriptor The missing permission.
   * @param flag The flag that grants it.
   */
  constructor(
    message: string,
    descriptor: Deno.PermissionDescriptor,
    flag: string,
  ) {
    super(message);
    this.name = "PermissionError";
    this.descriptor = descriptor;
    this.flag = flag;
  }
}

/** Bad data in a run file, found while reading strictly. */
export class ProblemError extends Error {
  /** The CLI's exit code for this error. */
  readonly exitCode = 1;
  /** Where and what. */
  readonly problem: Problem;
  /**
   * Creates the error.
   *
   * @param problem Where and what; the message is `file:line: reason`.
   */
  constructor(problem: Problem) {
    super(problemText(problem));
    this.name = "ProblemError";
    this.problem = problem;
  }
}

/** git could not be started because it is not installed (not on `PATH`). */
export class GitNotFoundError extends Error {
  /** The CLI's exit code for this error. */
  readonly exitCode = 1;
  /**
   * Creates the error.
   *
   * @param message Defaults to `git not found on PATH`.
   */
  constructor(message = "git not found on PATH") {
    super(message);
    this.name = "GitNotFoundError";
  }
}

/** git ran and failed: carries what was attempted and git's own error line. */
export class GitError extends Error {
  /** The CLI's exit code for this error. */
  readonly exitCode = 1;
  /** What was attempted, e.g. `git worktree add ../x`. */
  readonly attempted: string;
  /** git's error line (the `fatal:`/`error:` one when there is one), or `exit code N`. */
  readonly gitMessage: string;
  /**
   * @param attempted What was attempted.
   * @param gitMessage git's error line; the message is `<attempted> failed: <gitMessage>`.
   */
  constructor(attempted: string, gitMessage: string) {
    super(`${attempted} failed: ${gitMessage}`);
    this.name = "GitError";
    this.attempted = attempted;
    this.gitMessage = gitMessage;
  }
}

/**
 * The command refuses to act because acting would overwrite, delete or
 * write through files that are not its own (uncommitted changes, ignored
 * files, a symlink); nothing was changed.
 */
export class RefusedError extends Error {
  /** The CLI's exit code for this error. */
  readonly exitCode = 1;
  /** The paths that made it refuse (possibly empty). */
  readonly paths: readonly string[];
  /**
   * @param message Why, one line, with what to do instead.
   * @param paths The paths concerned.
   */
  constructor(message: string, paths: readonly string[] = []) {
    super(message);
    this.name = "RefusedError";
    this.paths = paths;
  }
}

/**
 * The CLI's exit code for an error: 2 for usage errors, else 1.
 *
 * @param e Any thrown value.
 * @returns 1 or 2.
 */
export function exitCodeOf(e: unknown): number {
  if (
    e instanceof UsageError || e instanceof NotFoundError ||
    e instanceof PermissionError || e instanceof ProblemError ||
    e instanceof GitNotFoundError || e instanceof GitError ||
    e instanceof RefusedError
  ) return e.exitCode;
  return 1;
}
