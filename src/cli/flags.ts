/**
 * The minimal `deno run` flags of each command, derived from the command
 * definitions, for the help, the README table and SKILL.md.
 *
 * @module
 */

import { DEFAULT_DIR } from "../dir.ts";
import { flagFor } from "../permissions.ts";
import type { CommandDef } from "./command_types.ts";

/** The minimal flags of a command: always, and when an option is given. */
export interface FlagVariants {
  /** Flags every invocation needs (empty: none). */
  base: string[];
  /** Flags an invocation with the option needs instead. */
  variants: { option: string; flags: string[] }[];
}

/**
 * The minimal `deno run` flags of a command, computed from
 * {@linkcode CommandDef.permissions}, so that the documentation (help,
 * README table, SKILL.md) and the check cli.ts enforces never disagree.
 *
 * @param cmd The command.
 * @returns The flags, for the default exprag directory `.exprag`.
 */
export function flagVariants(cmd: CommandDef): FlagVariants {
  const flags = (options: Record<string, unknown>) =>
    cmd.permissions({ dir: DEFAULT_DIR, options }).map(flagFor);
  const base = flags({});
  const variants: FlagVariants["variants"] = [];
  for (const opt of cmd.options) {
    if (opt.values.length > 1) continue;
    // a flag (`--yes`) or a one-value option with its example value
    const value = opt.values.length === 0 ? true : opt.example ?? opt.values[0];
    const withOpt = flags({ [opt.name]: value });
    if (withOpt.join(" ") !== base.join(" ")) {
      variants.push({
        option: value === true ? `--${opt.name}` : `--${opt.name} ${value}`,
        flags: withOpt,
      });
    }
  }
  return { base, variants };
}

/**
 * The minimal flags as one line of text, e.g. `--allow-read=.exprag`, or
 * `none; with --write .claude/skills/exprag/SKILL.md: --allow-read=.claude --allow-write=.claude/skills/exprag`.
 *
 * @param cmd The command.
 * @param code Wrap flags and options in Markdown code spans.
 * @returns The text.
 */
export function documentedFlags(cmd: CommandDef, code = false): string {
  const q = (s: string) => (code ? `\`${s}\`` : s);
  const { base, variants } = flagVariants(cmd);
  const parts = [base.length === 0 ? "none" : q(base.join(" "))];
  for (const v of variants) {
    parts.push(`with ${q(v.option)}: ${q(v.flags.join(" "))}`);
  }
  return parts.join("; ");
}
