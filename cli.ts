#!/usr/bin/env -S deno run --no-prompt --allow-read=.exprag
/**
 * The exprag command line: answers questions about the runs recorded in
 * `.exprag/runs/*.jsonl`, under least privilege.
 *
 * Every read-only command needs only `--allow-read=<exprag dir>`; `skill`
 * needs nothing (`skill --write PATH` needs read on PATH's first directory
 * and write on its directory, e.g. `--allow-read=.claude
 * --allow-write=.claude/skills/exprag`);
 * `checkout` and `diff` add `--allow-run=git`; `push` needs
 * `--allow-read=.exprag --allow-run=git`, `pull` adds
 * `--allow-write=.exprag`. A missing permission is
 * reported as one line naming the flag to add; nothing ever prompts.
 * `mcp` serves the commands as the tools of a stdio MCP server (each tool
 * needs its command's flags, and answers a tool error naming a missing one).
 *
 * @example Ask which run has the best final accuracy
 * ```sh
 * deno run --no-prompt --allow-read=.exprag jsr:@exprag/cli/cli best value.metrics.acc --max
 * ```
 *
 * @module
 */

import { type CommandDef, COMMANDS } from "./src/cli/command.ts";
import { checkPositionals, parseArgs } from "./src/cli/parse.ts";
import { Out, stderrLine } from "./src/cli/format.ts";
import type { CommandModule, Context } from "./src/cli/context.ts";
import type { Problem } from "./src/query/types.ts";
import { flagFor, granted } from "./src/permissions.ts";
import { exitCodeOf, PermissionError, UsageError } from "./src/errors.ts";
import { expragDir as resolveDir } from "./src/dir.ts";
import { EXPRAG_VERSION } from "./src/version.ts";

/** Command implementations, imported only when their command runs (fast start-up). */
const LOADERS: Record<string, () => Promise<CommandModule>> = {
  runs: () => import("./src/cli/runs.ts"),
  show: () => import("./src/cli/show.ts"),
  paths: () => import("./src/cli/paths.ts"),
  values: () => import("./src/cli/values.ts"),
  best: () => import("./src/cli/best.ts"),
  compare: () => import("./src/cli/compare.ts"),
  git: () => import("./src/cli/git.ts"),
  checkout: () => import("./src/cli/checkout.ts"),
  diff: () => import("./src/cli/diff.ts"),
  cat: () => import("./src/cli/cat.ts"),
  note: () => import("./src/cli/note.ts"),
  tag: () => import("./src/cli/tag.ts"),
  tail: () => import("./src/cli/tail.ts"),
  prune: () => import("./src/cli/prune.ts"),
  push: () => import("./src/cli/push.ts"),
  pull: () => import("./src/cli/pull.ts"),
  export: () => import("./src/cli/export.ts"),
  skill: () => import("./src/cli/skill.ts"),
  mcp: () => import("./src/cli/mcp.ts"),
};

/**
 * Queries (never requests) every permission the invocation needs, before
 * any access, so that Deno never raises `NotCapable` (nor prompts). A git
 * needed only when installed (`ifInstalled`) is skipped when git is not on
 * PATH (Deno then reports `--allow-run=git` as not granted).
 *
 * @throws {PermissionError} Naming the flag of the first one missing.
 */
async function checkPermissions(
  cmd: CommandDef,
  dir: string,
  options: Record<string, unknown>,
): Promise<void> {
  for (const need of cmd.permissions({ dir, options })) {
    const desc: Deno.PermissionDescriptor = need.name === "run"
      ? { name: "run", command: need.command }
      : need;
    if (granted(desc)) continue;
    if (need.name === "run" && need.ifInstalled) {
      const { GIT_NOT_FOUND, gitUnavailableReason } = await import(
        "./src/git/exec.ts"
      );
      if (gitUnavailableReason() === GIT_NOT_FOUND) continue;
    }
    const what = need.name === "run"
      ? `run permission for ${need.command}`
      : `${need.name} permission for ${need.path}`;
    const flag = flagFor(desc);
    throw new PermissionError(
      `${cmd.name}: ${what} not granted; add ${flag}`,
      desc,
      flag,
    );
  }
}

/**
 * Runs the exprag command line.
 *
 * Permissions: depend on the command (see the module documentation);
 * checked with `Deno.permissions.querySync` before use, never requested.
 *
 * @param args The command-line arguments, e.g. `Deno.args`.
 * @returns The exit code: 0 ok, 1 not found or runtime failure, 2 usage
 *   error (chosen by the class of the error, see `src/errors.ts`).
 *
 * @example Run a command from a script; the exit code is returned
 * ```ts
 * import { main } from "@exprag/cli/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * equal(await main(["runs", "--dir", dir, "--json"]), 0); // prints []
 * equal(await main(["best", "--dir", dir]), 2); // usage error: no path given
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const out = new Out();
  const code = await runCommand(args, out);
  out.flush();
  if (out.error !== undefined) {
    // e.g. stdout redirected to a full disk: one line, never a stack trace
    stderrLine(`exprag: cannot write to stdout: ${out.error.message}`);
    return 1;
  }
  return code;
}

/**
 * Parses and runs one command line, writing its stdout to `out`; errors are
 * thrown for the caller to report (`runCommand`) or return (`exprag mcp`,
 * which gets this function as `ctx.execute`).
 */
async function execute(args: readonly string[], out: Out): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed.global.version) {
    out.line(
      parsed.global.json
        ? JSON.stringify({ version: EXPRAG_VERSION })
        : EXPRAG_VERSION,
    );
    return 0;
  }
  if (parsed.global.help || !parsed.command) {
    const { helpText } = await import("./src/cli/help.ts");
    if (!parsed.command && !parsed.global.help) {
      stderrLine(
        `exprag: no command given (commands: ${
          COMMANDS.map((c) => c.name).join(", ")
        }) (see exprag --help)`,
      );
      return 2;
    }
    out.write(helpText(parsed.command));
    return 0;
  }
  const cmd = parsed.command;
  checkPositionals(parsed);
  const dir = resolveDir(parsed.global.dir);
  await checkPermissions(cmd, dir, parsed.options);
  const reported = new Set<string>();
  const ctx: Context = {
    dir,
    json: parsed.global.json,
    strict: parsed.global.strict,
    args: parsed.positionals,
    options: parsed.options,
    out,
    onProblem: (p: Problem) => {
      const msg = p.line > 0
        ? `${p.file}:${p.line}: ${p.reason}`
        : `${p.file}: ${p.reason}`;
      if (reported.has(msg)) return;
      reported.add(msg);
      stderrLine(msg);
    },
    execute,
  };
  const mod = await LOADERS[cmd.name]();
  return await mod.run(ctx);
}

async function runCommand(args: string[], out: Out): Promise<number> {
  try {
    return await execute(args, out);
  } catch (e) {
    if (e instanceof UsageError) {
      const command = e.command ?? commandWord(args);
      const hint = command ? `exprag ${command} --help` : "exprag --help";
      stderrLine(`exprag: ${e.message} (see ${hint})`);
      return e.exitCode;
    }
    const msg = e instanceof Error ? e.message : String(e);
    stderrLine(`exprag: ${msg.trim().replace(/\s*\n\s*/g, "; ")}`);
    return exitCodeOf(e);
  }
}

/** The command a usage error concerns, for its `--help` hint (when it parses). */
function commandWord(args: string[]): string | undefined {
  try {
    return parseArgs(args).command?.name;
  } catch {
    return undefined;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
