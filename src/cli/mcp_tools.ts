/**
 * The MCP tools of `exprag mcp`, generated from the command definitions
 * (command.ts): one tool per command except those in
 * {@linkcode MCP_EXCLUDED}, its input schema made from the command's
 * arguments and options, and the conversion of a tool call's arguments back
 * into the command line the CLI parses (so that a call is checked exactly
 * as the same command typed in a shell).
 *
 * @module
 */

import { type ArgDef, type CommandDef, COMMANDS } from "./command.ts";
import type { OptionDef } from "./command_types.ts";
import { UsageError } from "../errors.ts";
import { parseWhereWord, WHERE_OPS } from "./parse.ts";

/**
 * The commands that are not tools, each with the reason. Every command is
 * either a tool or listed here (a test checks it), so that a new command
 * cannot be forgotten.
 */
export const MCP_EXCLUDED: Readonly<Record<string, string>> = {
  checkout:
    "it moves the user's checkout or creates a git worktree: a change to the user's files, better made in the shell where the user sees it (the cat and diff tools read a run's code without it)",
  skill:
    "SKILL.md teaches the CLI; an MCP client gets the same texts as the tools' descriptions",
  mcp: "the server itself",
  prune:
    "it removes recorded runs, notes and snapshot refs: a deletion the user should make in the shell where they see the dry run first",
  push:
    "it talks to a git remote (network, credentials, the remote's refs): run it in a shell, where git's credential prompts and errors reach the user",
  pull:
    "it fetches from a git remote and writes runs and refs locally (network, credentials): run it in a shell",
  export:
    "its output is a data file for DuckDB, pandas or Spark, not an answer (the runs and values tools return the same data as JSON)",
};

/** The writing commands that only append records (never change what exists). */
const APPEND_ONLY: readonly string[] = ["note", "tag"];

/** The bounds of options that would otherwise let a tool call wait long. */
const BOUNDS: Readonly<Record<string, Readonly<Record<string, Bound>>>> = {
  // tail --follow waits for the run to end: bounded, as MCP calls are
  tail: { timeout: { max: 300, default: 30, with: "follow" } },
};

/** An upper bound of an integer option, and its default when `with` is given. */
interface Bound {
  max: number;
  default: number;
  with: string;
}

/** A JSON Schema (the subset the tools use). */
export type JsonSchema = Record<string, unknown>;

/** A tool as `tools/list` lists it. */
export interface McpTool {
  /** The command word. */
  name: string;
  /** `exprag <command>`. */
  title: string;
  /** The summary, the description and the examples of the command. */
  description: string;
  /** The arguments and options as a JSON Schema object. */
  inputSchema: JsonSchema;
  /** Hints: read-only or not (note and tag append records). */
  annotations: Record<string, boolean | string>;
}

/** The name of a positional argument's property: `RUN_A` → `run_a`. */
function argProperty(a: ArgDef): string {
  return a.name.toLowerCase().replace(/[^a-z0-9]+/g, "_");
}

/** The name of an option's property: `group-by` → `group_by`. */
function optionProperty(o: OptionDef): string {
  return o.name.replace(/-/g, "_");
}

/** `--strict`, offered by every tool (the other global options are the server's). */
const STRICT: OptionDef = {
  name: "strict",
  values: [],
  description:
    "fail on the first invalid line of a run file instead of skipping it with a warning",
};

/** The schema of one value of an option. */
function valueSchema(o: OptionDef): JsonSchema {
  if (o.values.length > 1) {
    // --where: one word 'PATH OP VALUE' or the three words
    return {
      anyOf: [
        { type: "string" },
        {
          type: "array",
          items: { type: "string" },
          minItems: o.values.length,
          maxItems: o.values.length,
        },
      ],
    };
  }
  if (o.integer) return { type: "integer", minimum: 1 };
  if (o.choices) return { type: "string", enum: [...o.choices] };
  return { type: "string", minLength: 1 };
}

/** The schema of an option's property. */
function optionSchema(cmd: CommandDef, o: OptionDef): JsonSchema {
  let description = o.description;
  if (o.values.length > 1) {
    description += ` (each clause one string '${
      o.values.join(" ")
    }' or an array of the ${o.values.length} strings)`;
  }
  if (o.values.length === 0) return { type: "boolean", description };
  const bound = BOUNDS[cmd.name]?.[o.name];
  const one = valueSchema(o);
  if (o.default !== undefined && !o.multiple) {
    one.default = o.integer ? Number(o.default) : o.default;
  }
  if (bound !== undefined) {
    one.maximum = bound.max;
    description +=
      `; over MCP at most ${bound.max}, and ${bound.default} when not given with ${bound.with}`;
  }
  if (o.multiple && o.values.length > 1) {
    // --where: one clause, or a list of them
    return {
      anyOf: [{ type: "string" }, { type: "array", items: one }],
      description,
    };
  }
  if (o.multiple) return { type: "array", items: one, description };
  return { ...one, description };
}

/** The input schema of a command: its arguments, options and `strict`. */
function inputSchema(cmd: CommandDef): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const add = (name: string, schema: JsonSchema) => {
    if (name in properties) {
      throw new Error(`${cmd.name}: two inputs named ${name}`);
    }
    properties[name] = schema;
  };
  for (const a of cmd.args) {
    const one = { type: "string", minLength: 1 };
    add(
      argProperty(a),
      a.multiple
        ? { type: "array", items: one, description: a.description }
        : { ...one, description: a.description },
    );
  }
  for (const o of [...cmd.options, STRICT]) {
    add(optionProperty(o), optionSchema(cmd, o));
  }
  const required = cmd.args.filter((a) => !a.optional).map(argProperty);
  return {
    type: "object",
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}

/** The commands that are tools, in the order of COMMANDS. */
export function toolCommands(): CommandDef[] {
  return COMMANDS.filter((c) => !(c.name in MCP_EXCLUDED));
}

/**
 * The tools, as `tools/list` returns them.
 *
 * @returns One tool per command that is not excluded.
 */
export function mcpTools(): McpTool[] {
  return toolCommands().map((cmd) => ({
    name: cmd.name,
    title: `exprag ${cmd.name}`,
    description: [
      `exprag ${cmd.name}: ${cmd.summary}.`,
      cmd.description,
      "The result is the command's --json data. CLI examples:",
      ...cmd.examples.map((e) => `- ${e.cmd}: ${e.says}`),
    ].join("\n"),
    inputSchema: inputSchema(cmd),
    annotations: {
      title: `exprag ${cmd.name}`,
      readOnlyHint: !cmd.writes,
      // note and tag only append; any other writer may change what exists
      destructiveHint: cmd.writes && !APPEND_ONLY.includes(cmd.name),
      idempotentHint: !cmd.writes,
      openWorldHint: false,
    },
  }));
}

/** A usage error about a tool's input. */
function bad(cmd: CommandDef, message: string): UsageError {
  return new UsageError(message, cmd.name);
}

/** One string value of a property (numbers are taken as their text). */
function text(cmd: CommandDef, name: string, v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  throw bad(
    cmd,
    `${name}: expected a string or a finite number, not ${
      typeof v === "number" ? v : JSON.stringify(v) ?? String(v)
    }`,
  );
}

/** A property that may hold several values, as a list (one value alone too). */
function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

/** Whether a list is one `--where` clause as three words (`["lr", "<", "0.1"]`). */
function isTriple(v: unknown): boolean {
  return Array.isArray(v) && v.length === 3 &&
    v.every((w) => typeof w === "string") &&
    (WHERE_OPS as readonly string[]).includes(v[1] === "==" ? "=" : v[1]) &&
    parseWhereWord(v[0]) === undefined;
}

/** The command-line words of one option of a tool call. */
function optionWords(
  cmd: CommandDef,
  o: OptionDef,
  name: string,
  v: unknown,
): string[] {
  const flag = `--${o.name}`;
  if (o.values.length === 0) {
    if (typeof v !== "boolean") {
      throw bad(
        cmd,
        `${name}: expected true or false, not ${JSON.stringify(v)}`,
      );
    }
    return v ? [flag] : [];
  }
  const values = !o.multiple ? [v] : o.values.length > 1 && isTriple(v)
    ? [v] // [PATH, OP, VALUE] given flat: one clause, as the CLI reads three words
    : list(v);
  const words: string[] = [];
  for (const one of values) {
    if (o.values.length > 1 && Array.isArray(one)) {
      // the three words, as a shell would have split them
      if (one.length !== o.values.length) {
        throw bad(
          cmd,
          `${name}: expected ${
            o.values.join(" ")
          } as ${o.values.length} strings, not ${one.length}`,
        );
      }
      words.push(flag, ...one.map((w) => text(cmd, name, w)));
    } else {
      // inline, so that a value starting with - stays a value
      words.push(`${flag}=${text(cmd, name, one)}`);
    }
  }
  return words;
}

/**
 * The command line of a tool call: the command word, `--json`, the options
 * (inline values) and, after `--`, the positional arguments. Types are
 * checked here; values are checked by the CLI's parser, as typed in a shell.
 *
 * @param cmd The command of the tool.
 * @param input The call's `arguments` (an object, or undefined).
 * @returns The arguments for the CLI (after the program name).
 * @throws {UsageError} On an unknown or mistyped property or a missing argument.
 */
export function toolArgv(cmd: CommandDef, input: unknown): string[] {
  if (input === undefined || input === null) input = {};
  if (typeof input !== "object" || Array.isArray(input)) {
    throw bad(cmd, "arguments: expected an object");
  }
  const given = { ...(input as Record<string, unknown>) };
  const words = [cmd.name, "--json"];
  const options = [...cmd.options, STRICT];
  for (const [name, bound] of Object.entries(BOUNDS[cmd.name] ?? {})) {
    const v = given[name];
    if (typeof v === "number" && v > bound.max) {
      throw bad(cmd, `${name}: at most ${bound.max} over MCP, not ${v}`);
    }
    if ((v === undefined || v === null) && given[bound.with] === true) {
      given[name] = bound.default;
    }
  }
  const known = new Set([
    ...cmd.args.map(argProperty),
    ...options.map(optionProperty),
  ]);
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      throw bad(
        cmd,
        `unknown argument ${JSON.stringify(name)} for ${cmd.name} (arguments: ${
          [...known].join(", ")
        })`,
      );
    }
  }
  for (const o of options) {
    const v = given[optionProperty(o)];
    if (v === undefined || v === null) continue;
    words.push(...optionWords(cmd, o, optionProperty(o), v));
  }
  const positionals: string[] = [];
  let missing = false;
  for (const a of cmd.args) {
    const name = argProperty(a);
    const v = given[name];
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) {
      if (!a.optional) throw bad(cmd, `${cmd.name} needs ${name}`);
      missing = true;
      continue;
    }
    if (missing) {
      throw bad(cmd, `${name} given without the arguments before it`);
    }
    for (const one of a.multiple ? list(v) : [v]) {
      positionals.push(text(cmd, name, one));
    }
  }
  return [...words, "--", ...positionals];
}
