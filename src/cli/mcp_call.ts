/**
 * One MCP tool call: its arguments become the command line (mcp_tools.ts),
 * the command runs in this process with `--json`, its stdout is captured in
 * memory and its stderr lines (notes, warnings) are collected; the result
 * holds the JSON data and the notes, or `isError` with the one-line message.
 *
 * @module
 */

import type { CommandDef } from "./command.ts";
import type { Execute } from "./context.ts";
import { captureStderr, Out, shellQuote } from "./format.ts";
import { toolArgv } from "./mcp_tools.ts";
import { PermissionError, UsageError } from "../errors.ts";
import { DEFAULT_DIR } from "../dir.ts";

/** The most bytes of `--json` output one call returns. */
export const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** The output grew beyond {@linkcode MAX_OUTPUT_BYTES}. */
class OutputTooLarge extends Error {}

/** A `tools/call` result. */
export interface ToolResult {
  /** A short text (what ran, its notes), then the data as JSON text. */
  content: { type: "text"; text: string }[];
  /** The data and the notes (protocol versions from 2025-06-18). */
  structuredContent?: Record<string, unknown>;
  /** True when the command failed. */
  isError: boolean;
}

/** An in-memory stdout that refuses to grow beyond a bound. */
class Buffer {
  #chunks: Uint8Array[] = [];
  #size = 0;

  writeSync(p: Uint8Array): number {
    this.#size += p.length;
    if (this.#size > MAX_OUTPUT_BYTES) throw new OutputTooLarge();
    this.#chunks.push(p.slice());
    return p.length;
  }

  text(): string {
    const all = new Uint8Array(this.#size);
    let off = 0;
    for (const c of this.#chunks) {
      all.set(c, off);
      off += c.length;
    }
    return new TextDecoder().decode(all);
  }
}

/** The `--json` output as data: one JSON value, or NDJSON (`tail`) as a list. */
function dataOf(cmd: CommandDef, text: string): unknown {
  if (cmd.name === "tail") {
    return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  }
  return text.trim() === "" ? null : JSON.parse(text);
}

/** A few words on the data: how many rows or items. */
function sizeOf(data: unknown): string {
  if (Array.isArray(data)) return `${data.length} item(s)`;
  if (data !== null && typeof data === "object") {
    const rows = (data as Record<string, unknown>).rows;
    if (Array.isArray(rows)) return `${rows.length} row(s)`;
    return "1 object";
  }
  return "no data";
}

/** The message of a failed call: the error's line, and what to do for a permission. */
function messageOf(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.trim().replace(/\s*\n\s*/g, "; ");
  if (e instanceof PermissionError) {
    return `exprag: ${line} (to the deno run flags of the MCP server's command)`;
  }
  return `exprag: ${line}`;
}

/**
 * Runs one tool call.
 *
 * @param execute cli.ts's in-process runner.
 * @param cmd The tool's command.
 * @param input The call's `arguments`.
 * @param options `structured`: include `structuredContent` (the protocol
 *   version has it); `dir`: the server's exprag directory, passed on as
 *   `--dir` unless it is the default; `strict`: the server's `--strict`,
 *   passed on.
 * @returns The result (tool errors included, never thrown).
 */
export async function callTool(
  execute: Execute,
  cmd: CommandDef,
  input: unknown,
  options: { structured: boolean; dir: string; strict: boolean },
): Promise<ToolResult> {
  const notes: string[] = [];
  let argv: string[] = [];
  let exitCode = 1;
  let data: unknown = null;
  let failure: unknown;
  const buffer = new Buffer();
  const out = new Out(buffer);
  try {
    argv = toolArgv(cmd, input);
    if (options.dir !== DEFAULT_DIR) argv.splice(1, 0, `--dir=${options.dir}`);
    if (
      options.strict && !argv.slice(0, argv.indexOf("--")).includes("--strict")
    ) {
      argv.splice(1, 0, "--strict");
    }
    exitCode = await captureStderr((l) => notes.push(l), async () => {
      const code = await execute(argv, out);
      out.flush();
      return code;
    });
    if (out.error instanceof OutputTooLarge) {
      throw new UsageError(
        `${cmd.name}: the answer is larger than ${
          MAX_OUTPUT_BYTES / 1024 / 1024
        } MiB; ask for less (e.g. limit, tail, every, or fewer paths)`,
        cmd.name,
      );
    }
    if (out.error !== undefined) throw out.error;
    data = dataOf(cmd, buffer.text());
  } catch (e) {
    failure = e;
  }
  const command = ["exprag", ...argv].map(shellQuote).join(" ");
  if (failure !== undefined) {
    const message = messageOf(failure);
    const error = {
      kind: failure instanceof Error ? failure.name : "Error",
      message,
      ...(failure instanceof PermissionError ? { flag: failure.flag } : {}),
    };
    return {
      content: [{ type: "text", text: [message, ...notes].join("\n") }],
      ...(options.structured
        ? { structuredContent: { error, notes, command } }
        : {}),
      isError: true,
    };
  }
  const summary = `${command}: ${sizeOf(data)}${
    exitCode === 0 ? "" : `, exit code ${exitCode}`
  }`;
  return {
    content: [
      { type: "text", text: [summary, ...notes].join("\n") },
      { type: "text", text: JSON.stringify(data) },
    ],
    ...(options.structured
      ? { structuredContent: { data, notes, exit_code: exitCode, command } }
      : {}),
    isError: false,
  };
}
