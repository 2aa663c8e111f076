/**
 * How exprag runs git (the capture, and the CLI's checkout and diff):
 * never hooks or fsmonitor, retries on another
 * process's lock file, a shared time limit for the commands that may run
 * clean filters, and one-line reasons from git's stderr.
 *
 * @module
 */

import {
  execGit,
  execGitInput,
  execGitRaw,
  type GitRawResult,
  type GitResult,
  spawnGitPiped,
} from "./exec.ts";

/** Options passed to every git invocation of exprag: never run hooks or fsmonitor. */
const decoder = new TextDecoder();

const BASE_CONFIG = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.fsmonitor=false",
];

/** git was killed at the capture's time limit (a clean/smudge filter that hangs?). */
export class GitTimeoutError extends Error {
  /**
   * Makes the error.
   *
   * @param what The git command.
   * @param timeoutMs The limit.
   */
  constructor(what: string, timeoutMs: number) {
    super(
      `git ${what} timed out after ${timeoutMs} ms (a clean/smudge filter that hangs?); see snapshotTimeoutMs`,
    );
    this.name = "GitTimeoutError";
  }
}

/** A point in time after which the filter-running commands are not started or are killed. */
export class Deadline {
  readonly #end: number;
  /** The limit the deadline was made from. */
  readonly timeoutMs: number;
  /**
   * Starts the clock.
   *
   * @param timeoutMs Milliseconds from now (`Infinity`: none).
   */
  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.#end = performance.now() + timeoutMs;
  }
  /**
   * The time left.
   *
   * @returns Milliseconds left (`Infinity` when unbounded).
   */
  left(): number {
    return Math.max(0, this.#end - performance.now());
  }
}

/**
 * Runs git with exprag's config (no hooks, no fsmonitor).
 *
 * @param args The arguments.
 * @param env Extra environment.
 * @returns The decoded output.
 */
export function runGit(
  args: string[],
  env: Record<string, string> = {},
): GitResult {
  return execGit([...BASE_CONFIG, ...args], env);
}

/**
 * Runs git with the capture's config; standard output as bytes.
 *
 * @param args The arguments.
 * @param env Extra environment.
 * @returns The raw output.
 */
export function runGitRaw(
  args: string[],
  env: Record<string, string> = {},
): GitRawResult {
  return execGitRaw([...BASE_CONFIG, ...args], { env });
}

/**
 * Runs git with exprag's config, `input` as its standard input.
 *
 * @param args The arguments.
 * @param input The bytes git reads.
 * @returns The raw output.
 */
export function runGitInput(
  args: string[],
  input: Uint8Array,
): Promise<GitRawResult> {
  return execGitInput([...BASE_CONFIG, ...args], input);
}

/**
 * Starts git with exprag's config, all three streams piped.
 *
 * @param args The arguments.
 * @returns The running child.
 */
export function spawnGit(args: string[]): Deno.ChildProcess {
  return spawnGitPiped([...BASE_CONFIG, ...args]);
}

/**
 * Runs a git command that may run clean filters, within the deadline.
 *
 * @param args The arguments.
 * @param options Extra environment and the deadline.
 * @returns The raw output.
 * @throws {GitTimeoutError} When git was killed at the deadline.
 */
export function runGitTimed(
  args: string[],
  options: { env?: Record<string, string>; deadline: Deadline },
): GitRawResult {
  const left = options.deadline.left();
  const what =
    args.find((a, i) =>
      !a.startsWith("-") && args[i - 1] !== "-c" && args[i - 1] !== "-C"
    ) ?? "";
  if (left <= 0) throw new GitTimeoutError(what, options.deadline.timeoutMs);
  const out = execGitRaw([...BASE_CONFIG, ...args], {
    env: options.env,
    timeoutMs: Math.max(1, Math.ceil(left)),
  });
  if (out.timedOut) throw new GitTimeoutError(what, options.deadline.timeoutMs);
  return out;
}

/**
 * The configuration git sees in a repository: `git config -z --list`
 * (system, global, repository, `-c`/`GIT_CONFIG_*`, includes resolved), as
 * `key\nvalue\0` entries.
 *
 * @param repo git's leading arguments naming the repository.
 * @returns The raw list; null when git cannot read it.
 */
export function gitConfigList(repo: readonly string[]): Uint8Array | null {
  const r = runGitRaw([...repo, "config", "-z", "--list"]);
  return r.code === 0 ? r.stdout : null;
}

/**
 * Whether git may run a clean/smudge filter during the capture: a
 * `filter.<driver>.*` key in the configuration git sees, or an initialised
 * submodule (whose own configuration status consults). Only then are the
 * capture's commands timed (each timed call costs a worker start, ~20 ms);
 * git with neither runs no program of the user's (hooks and fsmonitor are
 * off). An unreadable configuration counts as may.
 *
 * @param config What {@linkcode gitConfigList} returned.
 * @returns False when the configuration has no filter and no submodule.
 */
export function mayRunFilters(config: Uint8Array | null): boolean {
  if (config === null) return true;
  let start = 0;
  for (let i = 0; i <= config.length; i++) {
    if (i < config.length && config[i] !== 0) continue;
    // an entry: its key up to "\n" (section names are lower case)
    const head = decoder.decode(
      config.subarray(start, Math.min(i, start + 10)),
    );
    if (head.startsWith("filter.") || head.startsWith("submodule.")) {
      return true;
    }
    start = i + 1;
  }
  return false;
}

/**
 * Waits without yielding (between retries of a synchronous git call).
 *
 * @param ms Milliseconds.
 */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs git, retrying briefly while another process holds a git lock file.
 *
 * @param args The arguments.
 * @param env Extra environment.
 * @returns The decoded output of the last try.
 */
export function runGitRetry(
  args: string[],
  env: Record<string, string> = {},
): GitResult {
  let out = runGit(args, env);
  for (let i = 0; i < 20 && out.code !== 0 && isLockError(out.stderr); i++) {
    sleepSync(10 + Math.floor(Math.random() * 40));
    out = runGit(args, env);
  }
  return out;
}

function isLockError(stderr: string): boolean {
  return /\.lock'?:? File exists|Unable to create '[^']*\.lock'|unable to lock|could not lock/i
    .test(stderr) && !/reference already exists/.test(stderr);
}

/**
 * The first meaningful line of git's stderr (a `fatal:`/`error:` line
 * preferred), for reasons.
 *
 * @param out git's output.
 * @returns One line, without the `fatal:` prefix.
 */
export function firstError(out: { code: number; stderr: string }): string {
  const lines = out.stderr.split("\n").map((l) => l.trim()).filter((l) =>
    l !== ""
  );
  const fatal = lines.find((l) => /^(fatal|error):/.test(l));
  return (fatal ?? lines[0] ?? `exit code ${out.code}`).replace(
    /^(fatal|error):\s*/,
    "",
  );
}
