/**
 * Spawning git synchronously, never prompting: the one place both the
 * tracker (code-state capture) and the CLI (checkout, diff) start git.
 *
 * Requires `--allow-run=git` (callers query it first).
 *
 * @module
 */

/** The output of one git invocation. */
export interface GitResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Environment every git call gets: never prompt, never take optional locks. */
const BASE_ENV: Record<string, string> = {
  GIT_TERMINAL_PROMPT: "0",
  GIT_OPTIONAL_LOCKS: "0",
};

const decoder = new TextDecoder();

/**
 * Runs git to completion with no standard input.
 *
 * @param args The arguments.
 * @param env Extra environment variables (added to the inherited ones).
 * @returns Exit code and decoded output.
 * @throws {Deno.errors.NotFound} When git is not on PATH.
 */
export function execGit(
  args: readonly string[],
  env: Record<string, string> = {},
): GitResult {
  const out = new Deno.Command("git", {
    args: [...args],
    env: { ...BASE_ENV, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}
