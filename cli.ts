#!/usr/bin/env -S deno run --allow-read=.exprag
/**
 * The exprag command line: answers questions about the runs recorded in
 * `.exprag/runs/*.jsonl`, under least privilege.
 *
 * Every read-only command needs only `--allow-read=<exprag dir>`; `skill`
 * needs nothing (`skill --write PATH` needs `--allow-write=PATH`);
 * `checkout` and `diff` add `--allow-run=git`. A missing permission is
 * reported as one line naming the flag to add; nothing ever prompts.
 *
 * @example Ask which run has the best final accuracy
 * ```sh
 * deno run --allow-read=.exprag jsr:@exprag/cli/cli best value.metrics.acc --max
 * ```
 *
 * @module
 */

import { type CommandDef, COMMANDS, neededFlag } from "./src/cli/command.ts";
import { checkPositionals, parseArgs, UsageError } from "./src/cli/parse.ts";
import { CliError, Out, stderrLine } from "./src/cli/format.ts";
import type { CommandModule, Context } from "./src/cli/context.ts";
import type { Problem } from "./src/query/types.ts";
import { granted } from "./src/permissions.ts";
import { resolveDir } from "./src/query/files.ts";
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
  skill: () => import("./src/cli/skill_cmd.ts"),
};

function checkPermissions(
  cmd: CommandDef,
  dir: string,
  options: Record<string, unknown>,
): void {
  for (const need of cmd.permissions({ dir, options })) {
    if (granted(need)) continue;
    const what = need.name === "run"
      ? `run permission for ${need.command}`
      : `${need.name} permission for ${need.path}`;
    throw new CliError(
      `${cmd.name}: ${what} not granted; add ${neededFlag(need)}`,
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
 * @returns The exit code: 0 ok, 1 not found or runtime failure, 2 usage error.
 *
 * @example
 * ```ts ignore
 * import { main } from "@exprag/cli/cli";
 * Deno.exit(await main(["runs", "--limit", "5"]));
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

async function runCommand(args: string[], out: Out): Promise<number> {
  let commandName: string | undefined; // for the --help hint of usage errors
  try {
    const parsed = parseArgs(args);
    commandName = parsed.command?.name;
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
    checkPermissions(cmd, dir, parsed.options);
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
    };
    const mod = await LOADERS[cmd.name]();
    return await mod.run(ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      const command = e.command ?? commandName;
      const hint = command ? `exprag ${command} --help` : "exprag --help";
      stderrLine(`exprag: ${e.message} (see ${hint})`);
      return 2;
    }
    if (e instanceof CliError) {
      stderrLine(`exprag: ${e.message}`);
      return e.code;
    }
    if (e instanceof Deno.errors.NotCapable) {
      stderrLine(
        `exprag: ${
          e.message.replace(
            /, run again with the (--allow-\w+) flag/,
            "; add $1",
          )
        }`,
      );
      return 1;
    }
    const msg = e instanceof Error ? e.message : String(e);
    stderrLine(`exprag: ${msg.trim().replace(/\s*\n\s*/g, "; ")}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
