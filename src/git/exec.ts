/**
 * Spawning git synchronously, never prompting: the one place both the
 * tracker (code-state capture) and the CLI (checkout, diff) start git.
 *
 * - git not installed → {@linkcode GitNotFoundError}; `--allow-run=git` not
 *   granted → a distinct reason ({@linkcode gitUnavailableReason}).
 * - `LD_*` / `DYLD_*` variables (CUDA, conda): Deno refuses to spawn a child
 *   that would inherit such a variable unless `--allow-run` is unrestricted.
 *   Deno accepts the spawn when each of them is set empty in the child (an
 *   empty value is "unset" for Deno's check and for the dynamic loader; git
 *   needs none of them), also for a variable the process does not have.
 *   So, unless `--allow-run` is unrestricted (then nothing is cleared), the
 *   variables are cleared up front: every `LD_*`/`DYLD_*` variable of the
 *   environment when `--allow-env` is granted (queried, never prompted),
 *   else {@linkcode KNOWN_LOADER_VARIABLES}. Any other name is learnt from
 *   Deno's refusal as the last resort (it lists them: "... spawn subprocess
 *   with LD_BIND_NOW, LD_LIBRARY_PATH environment variables") and the spawn
 *   retried. The names are remembered for the process.
 *
 * Requires `--allow-run=git` (callers query it first).
 *
 * @module
 */

import { GitNotFoundError } from "../errors.ts";
import { deniedReason, granted } from "../permissions.ts";
import { runTimed } from "./timed.ts";

/** The output of one git invocation. */
export interface GitResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** The output of one git invocation, standard output as bytes. */
export interface GitRawResult {
  /** Exit code (-1 when timed out). */
  code: number;
  /** Standard output, as git wrote it. */
  stdout: Uint8Array;
  /** Standard error, decoded. */
  stderr: string;
  /** Whether git was killed at `timeoutMs`. */
  timedOut: boolean;
}

/** Options of {@linkcode execGitRaw}. */
export interface GitExecOptions {
  /** Extra environment variables (added to the inherited ones). */
  env?: Record<string, string>;
  /** Kill git after this many milliseconds (see `timed.ts`); default: no limit. */
  timeoutMs?: number;
}

/** Environment every git call gets: never prompt, never take optional locks. */
const BASE_ENV: Record<string, string> = {
  GIT_TERMINAL_PROMPT: "0",
  GIT_OPTIONAL_LOCKS: "0",
};

const RUN_DESC: Deno.RunPermissionDescriptor = { name: "run", command: "git" };

/** The reason recorded when git is not installed. */
export const GIT_NOT_FOUND = "git not found on PATH";

/**
 * The loader variables cleared in every child when the environment cannot
 * be read (the ones CUDA, conda and macOS toolchains set).
 */
export const KNOWN_LOADER_VARIABLES: readonly string[] = [
  "LD_LIBRARY_PATH",
  "LD_PRELOAD",
  "LD_AUDIT",
  "DYLD_LIBRARY_PATH",
  "DYLD_INSERT_LIBRARIES",
  "DYLD_FALLBACK_LIBRARY_PATH",
  "DYLD_FRAMEWORK_PATH",
];

/** `LD_*`/`DYLD_*` variables cleared in every child; null until first needed. */
let cleared: Set<string> | null = null;

/** The variables to clear up front (see the module documentation). */
function clearedUpFront(): Set<string> {
  if (granted({ name: "run" })) return new Set(); // Deno refuses nothing
  if (granted({ name: "env" })) {
    return new Set(
      Object.keys(Deno.env.toObject()).filter((n) => /^(LD_|DYLD_)/.test(n)),
    );
  }
  return new Set(KNOWN_LOADER_VARIABLES);
}

function theCleared(): Set<string> {
  return cleared ??= clearedUpFront();
}

/** Deno's refusal: "...spawn subprocess with A, B environment variables. ..." */
const REFUSAL = /spawn subprocess with (.+?) environment variables?\b/;

const decoder = new TextDecoder();

/**
 * Learns the variable names of Deno's refusal to pass `LD_*`/`DYLD_*`
 * variables on.
 *
 * @returns Whether new names were learnt (the spawn is worth retrying).
 */
function learnRefusal(e: unknown): boolean {
  if (!(e instanceof Deno.errors.NotCapable)) return false;
  const m = REFUSAL.exec(e.message);
  if (m === null) return false;
  const names = theCleared();
  const before = names.size;
  for (const name of m[1].split(",")) {
    const n = name.trim();
    if (/^(LD_|DYLD_)/i.test(n)) names.add(n);
  }
  return names.size > before;
}

function childEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of theCleared()) out[n] = "";
  return { ...out, ...BASE_ENV, ...env };
}

/** Spawns with the known variables cleared, learning new ones from refusals. */
function spawnLearning<T>(
  spawn: (env: Record<string, string>) => T,
  env: Record<string, string>,
): T {
  for (let attempt = 0;; attempt++) {
    try {
      return spawn(childEnv(env));
    } catch (e) {
      if (attempt < 8 && learnRefusal(e)) continue;
      if (e instanceof Deno.errors.NotFound) throw new GitNotFoundError();
      throw e;
    }
  }
}

/**
 * Runs git to completion with no standard input; output as bytes.
 *
 * @param args The arguments.
 * @param options Extra environment, time limit.
 * @returns Exit code, raw standard output, decoded standard error.
 * @throws {GitNotFoundError} When git is not on PATH.
 */
export function execGitRaw(
  args: readonly string[],
  options: GitExecOptions = {},
): GitRawResult {
  const { env = {}, timeoutMs } = options;
  if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
    const out = spawnLearning((e) => runTimed(args, e, timeoutMs), env);
    if (out !== null) return { ...out, stderr: decoder.decode(out.stderr) };
  }
  const out = spawnLearning(
    (e) =>
      new Deno.Command("git", {
        args: [...args],
        env: e,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).outputSync(),
    env,
  );
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: decoder.decode(out.stderr),
    timedOut: false,
  };
}

/**
 * Runs git to completion with `input` as its standard input (`git
 * hash-object --stdin`, `git mktree`); output as bytes.
 *
 * @param args The arguments.
 * @param input The bytes written to git's standard input.
 * @param env Extra environment variables (added to the inherited ones).
 * @returns Exit code, raw standard output, decoded standard error.
 * @throws {GitNotFoundError} When git is not on PATH.
 */
export async function execGitInput(
  args: readonly string[],
  input: Uint8Array,
  env: Record<string, string> = {},
): Promise<GitRawResult> {
  const child = spawnGitPiped(args, env);
  const w = child.stdin.getWriter();
  // git may exit before reading everything (an error): the output tells why
  const written = w.write(input).then(() => w.close()).catch(() => {});
  const out = await child.output();
  await written;
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: decoder.decode(out.stderr),
    timedOut: false,
  };
}

/**
 * Starts git with piped standard input, output and error, for a caller that
 * writes its input as a stream (`git fast-import`).
 *
 * @param args The arguments.
 * @param env Extra environment variables (added to the inherited ones).
 * @returns The running child.
 * @throws {GitNotFoundError} When git is not on PATH.
 */
export function spawnGitPiped(
  args: readonly string[],
  env: Record<string, string> = {},
): Deno.ChildProcess {
  return spawnLearning(
    (e) =>
      new Deno.Command("git", {
        args: [...args],
        env: e,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn(),
    env,
  );
}

/**
 * Runs git to completion with no standard input.
 *
 * @param args The arguments.
 * @param env Extra environment variables (added to the inherited ones).
 * @returns Exit code and decoded output.
 * @throws {GitNotFoundError} When git is not on PATH.
 */
export function execGit(
  args: readonly string[],
  env: Record<string, string> = {},
): GitResult {
  const out = execGitRaw(args, { env });
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: out.stderr,
  };
}

/** Whether Deno could prompt (stdin and stderr a terminal): then never probe. */
function couldPrompt(): boolean {
  try {
    return Deno.stdin.isTerminal() && Deno.stderr.isTerminal();
  } catch {
    return true;
  }
}

/** With PATH readable: whether no directory on it holds a git. */
function missingOnPath(): boolean | undefined {
  if (!granted({ name: "env", variable: "PATH" })) return undefined;
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "");
  for (const d of dirs) {
    // Deno puts its own node shims first on PATH: never a git there.
    if (/[\\/]deno[\\/]node_compat_bin$/.test(d)) continue;
    if (!granted({ name: "read", path: d })) return undefined;
    try {
      Deno.statSync(`${d}/git`);
      return false;
    } catch {
      // not there
    }
  }
  return true;
}

/**
 * Why git cannot be run, or null when it can be (as far as permissions
 * tell; a git missing under unrestricted `--allow-run` shows up as
 * {@linkcode GitNotFoundError} at the first call). Never prompts.
 *
 * Deno reports `--allow-run=git` with no git on PATH as "prompt", like no
 * flag at all. The two are told apart by reading PATH when allowed, else by
 * trying the spawn when Deno cannot prompt (no terminal): a git that is not
 * there fails as "not found" before any permission check.
 *
 * @returns `git not found on PATH`, `run permission for git not granted
 *   (--allow-run=git)`, or null.
 */
export function gitUnavailableReason(): string | null {
  if (granted(RUN_DESC)) return null;
  const missing = missingOnPath();
  if (missing === true) return GIT_NOT_FOUND;
  if (missing === undefined && !couldPrompt()) {
    try {
      execGit(["--version"]);
      return null; // cannot happen: the permission is not granted
    } catch (e) {
      if (e instanceof GitNotFoundError) return GIT_NOT_FOUND;
    }
  }
  return deniedReason(RUN_DESC);
}
