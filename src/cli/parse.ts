/**
 * The argument parser, driven entirely by the command definitions of
 * command.ts: an option the definitions lack cannot be parsed.
 *
 * @module
 */

import {
  type CommandDef,
  COMMANDS,
  findCommand,
  GLOBAL_OPTIONS,
  type OptionDef,
} from "./command.ts";
import { UsageError } from "../errors.ts";

import type { WhereClause } from "../query/types.ts";
import { splitWhere, WHERE_OPS as OPS } from "../query/where_syntax.ts";

export { UsageError };

/** The `--where` operators, as the usage error lists them (`==` is `=`). */
export const WHERE_OPS = ["=", "!=", "<", "<=", ">", ">=", "~"] as const;

/**
 * A parsed `--where PATH OP VALUE` clause: the reading API's `WhereClause`,
 * parsed by its grammar (`src/query/where.ts`).
 */
export type Where = WhereClause;

/** The global options. */
export interface GlobalOptions {
  /** `--dir DIR`. */
  dir?: string;
  /** `--json`. */
  json: boolean;
  /** `--strict`. */
  strict: boolean;
  /** `--help` / `-h`. */
  help: boolean;
  /** `--version` / `-V`. */
  version: boolean;
}

/** A parsed command line. */
export interface Parsed {
  /** The command, or undefined when none was given. */
  command?: CommandDef;
  /** Positional arguments after the command word. */
  positionals: string[];
  /**
   * Command options by long name: `true` for flags, a string for one-value
   * options (a number for integer options), an array for repeatable ones
   * (`Where` objects for `--where`).
   */
  options: Record<string, unknown>;
  /** Global options. */
  global: GlobalOptions;
}

/**
 * Parses a `--where` clause given as one word (`lr<=0.01`, `"lr <= 0.01"`)
 * with the reading API's grammar (its path and root are checked later,
 * before anything is read).
 *
 * @param text The word.
 * @returns The clause, or `undefined` when the word holds no operator.
 */
export function parseWhereWord(text: string): Where | undefined {
  return splitWhere(text);
}

function isOp(s: string): boolean {
  return (OPS as readonly string[]).includes(s);
}

/** An option token resolved against the definitions. */
interface Lookup {
  def: OptionDef;
  isGlobal: boolean;
  inline?: string;
}

/** Finds the definition of an option token (`--name[=value]` or `-x`). */
function lookupOption(token: string, command?: CommandDef): Lookup {
  let name: string;
  let inline: string | undefined;
  if (token.startsWith("--")) {
    const eq = token.indexOf("=");
    name = eq === -1 ? token.slice(2) : token.slice(2, eq);
    inline = eq === -1 ? undefined : token.slice(eq + 1);
  } else {
    name = token.slice(1);
  }
  const byName = (o: OptionDef) =>
    token.startsWith("--") ? o.name === name : o.short === name;
  const local = command?.options.find(byName);
  if (local) return { def: local, isGlobal: false, inline };
  const g = GLOBAL_OPTIONS.find(byName);
  if (g) return { def: g, isGlobal: true, inline };
  const where = command
    ? ` for ${command.name}`
    : " (command options go after the command)";
  throw new UsageError(
    `unknown option ${token.split("=")[0]}${where}`,
    command?.name,
  );
}

/**
 * Reads a `--where PATH OP VALUE` clause at `args[i]` (three words, or one
 * word holding all three).
 *
 * @returns The clause and how many arguments it took.
 */
function readWhere(
  args: readonly string[],
  i: number,
  found: Lookup,
  command?: CommandDef,
): [Where, number] {
  let clause: Where | undefined;
  let used = 0;
  if (found.inline !== undefined) {
    clause = parseWhereWord(found.inline);
  } else if (i < args.length) {
    const three = args.slice(i, i + 3);
    if (
      three.length === 3 && isOp(three[1]) &&
      parseWhereWord(args[i]) === undefined
    ) {
      // three words: already split by the shell, taken as given
      const op = (three[1] === "==" ? "=" : three[1]) as Where["op"];
      clause = { path: three[0], op, value: three[2] };
      used = 3;
    } else {
      clause = parseWhereWord(args[i]);
      if (clause) used = 1;
    }
  }
  if (!clause || clause.path === "") {
    throw new UsageError(
      `--${found.def.name} needs ${found.def.values.join(" ")} with OP one of ${
        WHERE_OPS.join(" ")
      } (quote < and > in the shell)`,
      command?.name,
    );
  }
  return [clause, used];
}

/**
 * Reads the values of an option taking several words (`--keep-best N
 * PATH`): exactly as many as it names, never an option-like word; the
 * first is checked as a positive integer when the option is `integer`.
 *
 * @returns The words and how many arguments they took.
 */
function readTuple(
  args: readonly string[],
  i: number,
  found: Lookup,
  command?: CommandDef,
): [string[], number] {
  const { def } = found;
  const n = def.values.length;
  const words = args.slice(i, i + n);
  if (
    found.inline !== undefined || words.length < n ||
    words.some((w) => w === "" || (w.startsWith("-") && w !== "-"))
  ) {
    throw new UsageError(
      `--${def.name} needs ${def.values.join(" ")}`,
      command?.name,
    );
  }
  if (def.integer) {
    checkValue({ ...def, values: [def.values[0]] }, words[0], command?.name);
  }
  return [words, n];
}

/**
 * Reads the value of an option found at `args[i - 1]`.
 *
 * @returns The value and how many further arguments it took.
 */
function readValue(
  args: readonly string[],
  i: number,
  found: Lookup,
  command?: CommandDef,
): [unknown, number] {
  const { def, inline } = found;
  const flag = `--${def.name}`;
  if (def.values.length === 0) {
    if (inline !== undefined) {
      throw new UsageError(`${flag} takes no value`, command?.name);
    }
    return [true, 0];
  }
  if (def.values.length > 1) {
    return def.values[1] === "OP"
      ? readWhere(args, i, found, command)
      : readTuple(args, i, found, command);
  }
  if (inline !== undefined) return [checkValue(def, inline, command?.name), 0];
  if (i >= args.length) {
    throw new UsageError(
      `${flag} needs a value ${def.values[0]}`,
      command?.name,
    );
  }
  return [checkValue(def, args[i], command?.name), 1];
}

/** Refuses options that exclude each other. */
function checkConflicts(
  command: CommandDef,
  options: Record<string, unknown>,
): void {
  for (const opt of command.options) {
    for (const other of opt.conflicts ?? []) {
      if (options[opt.name] !== undefined && options[other] !== undefined) {
        throw new UsageError(
          `--${opt.name} and --${other} exclude each other`,
          command.name,
        );
      }
    }
  }
}

/**
 * Parses a command line against the definitions.
 *
 * @param args The arguments after the program name.
 * @returns The parsed command line (not yet checked for a missing command
 *   or `--help`; the caller decides).
 * @throws {UsageError} On an unknown command or option, a missing or bad value.
 */
export function parseArgs(args: readonly string[]): Parsed {
  const global: GlobalOptions = {
    json: false,
    strict: false,
    help: false,
    version: false,
  };
  const options: Record<string, unknown> = {};
  const positionals: string[] = [];
  let command: CommandDef | undefined;
  let rest = false;
  const seen = new Set<string>();

  for (let i = 0; i < args.length; i++) {
    const token = args[i];
    if (!rest && token === "--") {
      rest = true;
      continue;
    }
    if (!rest && token.startsWith("-") && token !== "-") {
      const found = lookupOption(token, command);
      const def = found.def;
      if (seen.has(def.name) && !def.multiple) {
        throw new UsageError(
          `--${def.name} given more than once`,
          command?.name,
        );
      }
      seen.add(def.name);
      const [value, used] = readValue(args, i + 1, found, command);
      i += used;
      if (found.isGlobal) {
        (global as unknown as Record<string, unknown>)[def.name] = value;
      } else if (def.multiple) {
        ((options[def.name] ??= []) as unknown[]).push(value);
      } else {
        options[def.name] = value;
      }
      continue;
    }
    if (command === undefined) {
      command = findCommand(token);
      if (!command) {
        throw new UsageError(
          `unknown command ${JSON.stringify(token)} (commands: ${
            COMMANDS.map((c) => c.name).join(", ")
          })`,
        );
      }
      continue;
    }
    positionals.push(token);
  }
  if (command) checkConflicts(command, options);
  return { command, positionals, options, global };
}

function checkValue(def: OptionDef, v: string, command?: string): unknown {
  const flag = `--${def.name}`;
  if (def.choices && !def.choices.includes(v)) {
    throw new UsageError(
      `${flag} must be one of ${def.choices.join(", ")}, not ${
        JSON.stringify(v)
      }`,
      command,
    );
  }
  if (def.integer) {
    if (!/^[1-9][0-9]{0,15}$/.test(v)) {
      throw new UsageError(
        `${flag} needs a positive integer, not ${JSON.stringify(v)}`,
        command,
      );
    }
    return Number(v);
  }
  if (v === "") {
    throw new UsageError(`${flag} needs a non-empty ${def.values[0]}`, command);
  }
  return v;
}

/**
 * Checks the positional arguments of a parsed command line against the
 * command's definition.
 *
 * @param parsed A parsed command line with a command.
 * @throws {UsageError} On missing or extra arguments.
 */
export function checkPositionals(parsed: Parsed): void {
  const cmd = parsed.command!;
  const required = cmd.args.filter((a) => !a.optional).length;
  if (parsed.positionals.length < required) {
    const missing = cmd.args.slice(parsed.positionals.length).filter((a) =>
      !a.optional
    );
    throw new UsageError(
      `${cmd.name} needs ${missing.map((a) => a.name).join(" ")}`,
      cmd.name,
    );
  }
  const variadic = cmd.args.at(-1)?.multiple === true;
  if (!variadic && parsed.positionals.length > cmd.args.length) {
    const extra = parsed.positionals[cmd.args.length];
    throw new UsageError(
      `${cmd.name} takes ${
        cmd.args.length === 0
          ? "no arguments"
          : `only ${cmd.args.map((a) => a.name).join(" ")}`
      }, got extra ${JSON.stringify(extra)}`,
      cmd.name,
    );
  }
}
