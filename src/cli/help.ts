/**
 * `--help` text, generated from the command definitions.
 *
 * @module
 */

import {
  type CommandDef,
  COMMANDS,
  GLOBAL_OPTIONS,
  type OptionDef,
} from "./command.ts";
import { documentedFlags } from "./flags.ts";
import { EXPRAG_VERSION } from "../version.ts";

/**
 * The synopsis of an option, e.g. `--where PATH OP VALUE`.
 *
 * @param o The option.
 * @returns The synopsis.
 */
export function optionSynopsis(o: OptionDef): string {
  const names = o.short ? `-${o.short}, --${o.name}` : `--${o.name}`;
  return [names, ...o.values].join(" ");
}

/**
 * The usage line of a command, e.g.
 * `exprag values PATH [--run RUN] [--limit N]`.
 *
 * @param cmd The command.
 * @returns The usage line.
 */
export function usageLine(cmd: CommandDef): string {
  const parts = ["exprag", cmd.name];
  for (const a of cmd.args) {
    const name = a.multiple ? `${a.name}...` : a.name;
    parts.push(a.optional ? `[${name}]` : name);
  }
  for (const o of cmd.options) {
    parts.push(
      `[${[`--${o.name}`, ...o.values].join(" ")}]${o.multiple ? "..." : ""}`,
    );
  }
  return parts.join(" ");
}

function optionLines(opts: readonly OptionDef[]): string[] {
  const width = Math.max(...opts.map((o) => optionSynopsis(o).length));
  return opts.map((o) =>
    `  ${optionSynopsis(o).padEnd(width)}  ${o.description}`
  );
}

/**
 * The help of one command, or the overview when no command is given.
 *
 * @param cmd The command, or undefined for the overview.
 * @returns The help text, ending with a newline.
 */
export function helpText(cmd?: CommandDef): string {
  const lines: string[] = [];
  if (!cmd) {
    lines.push(
      `exprag ${EXPRAG_VERSION}: experiment memory for coding agents; answers questions about the runs in .exprag/runs`,
      "",
      "Usage: exprag <command> [arguments] [options]",
      "",
      "Commands:",
    );
    const width = Math.max(...COMMANDS.map((c) => c.name.length));
    for (const c of COMMANDS) {
      lines.push(`  ${c.name.padEnd(width)}  ${c.summary}`);
    }
    lines.push(
      "",
      "Global options (before or after the command):",
      ...optionLines(GLOBAL_OPTIONS),
    );
    lines.push(
      "",
      "Runs are named by full id, unique id prefix, latest, or latest~N.",
      "Output: a tab-separated table with a header; --json for machines.",
      "Exit codes: 0 ok, 1 not found or failure, 2 usage error.",
      "Permissions: read-only commands need only --allow-read=<exprag dir>; see `exprag <command> --help`.",
      "",
      "Run `exprag <command> --help` for a command's options and examples.",
    );
    return lines.join("\n") + "\n";
  }
  lines.push(
    `exprag ${cmd.name}: ${cmd.summary}`,
    "",
    `Usage: ${usageLine(cmd)}`,
    "",
    cmd.description,
  );
  if (cmd.args.length > 0) {
    lines.push("", "Arguments:");
    const width = Math.max(...cmd.args.map((a) => a.name.length));
    for (const a of cmd.args) {
      lines.push(`  ${a.name.padEnd(width)}  ${a.description}`);
    }
  }
  if (cmd.options.length > 0) {
    lines.push("", "Options:", ...optionLines(cmd.options));
  }
  lines.push("", "Global options:", ...optionLines(GLOBAL_OPTIONS));
  lines.push(
    "",
    `Permissions (minimal deno run flags): ${documentedFlags(cmd)}`,
    "  (with another --dir, read that directory instead; add --allow-env=EXPRAG_DIR to honour $EXPRAG_DIR)",
  );
  lines.push("", "Examples:");
  for (const e of cmd.examples) lines.push(`  ${e.cmd}`, `      ${e.says}`);
  return lines.join("\n") + "\n";
}
