/**
 * `exprag mcp`: a Model Context Protocol server on stdin/stdout. It answers
 * `initialize` (version negotiation), `ping`, `tools/list` and `tools/call`;
 * the tools are the commands (mcp_tools.ts), run in this process one at a
 * time (mcp_call.ts). stdout carries only JSON-RPC messages, one per line;
 * the server's own warnings go to stderr. It ends when stdin ends.
 *
 * @module
 */

import type { Context, Execute } from "./context.ts";
import { findCommand } from "./command.ts";
import { escapeText } from "./format.ts";
import { MCP_EXCLUDED, mcpTools, toolCommands } from "./mcp_tools.ts";
import { callTool } from "./mcp_call.ts";
import {
  checkMessage,
  errorOf,
  INTERNAL_ERROR,
  INVALID_PARAMS,
  INVALID_REQUEST,
  lines,
  MAX_MESSAGE_CHARS,
  METHOD_NOT_FOUND,
  PARSE_ERROR,
  resultOf,
  type RpcId,
  type RpcMessage,
  type RpcResponse,
} from "./mcp_rpc.ts";
import { EXPRAG_VERSION } from "../version.ts";

/** The protocol versions served, newest first. */
export const PROTOCOL_VERSIONS = [
  "2025-11-25",
  "2025-06-18",
  "2025-03-26",
  "2024-11-05",
] as const;

/** What the server tells the client's model about itself. */
const INSTRUCTIONS =
  "exprag answers questions about the experiment runs recorded in .exprag/runs: runs lists them (status, code state), paths finds the value paths recorded, values gives a path's history, best ranks runs by a path, compare and show explain runs, tail follows one, git/diff/cat show the code a run ran, note and tag write conclusions back. Start with runs, then paths to learn the value paths (e.g. value.metrics.loss).";

/** Writes one line on stderr (the server's own; never captured as a tool's note). */
function warn(message: string): void {
  try {
    Deno.stderr.writeSync(
      new TextEncoder().encode(`exprag mcp: ${escapeText(message)}\n`),
    );
  } catch {
    // nowhere left to report
  }
}

/** Whether stdin is a terminal (a person typed `exprag mcp`). */
function isTerminal(): boolean {
  try {
    return Deno.stdin.isTerminal();
  } catch {
    return false;
  }
}

/** The server's state: the negotiated version, queued tool calls, cancellations. */
class Server {
  #execute: Execute;
  #dir: string;
  #strict: boolean;
  #version: string = PROTOCOL_VERSIONS[0];
  #queue: Promise<void> = Promise.resolve();
  #pending = new Set<RpcId>();
  #cancelled = new Set<RpcId>();
  #closed = false;
  #encoder = new TextEncoder();

  /**
   * @param execute cli.ts's in-process runner.
   * @param dir The server's exprag directory (every tool reads this one).
   * @param strict The server's `--strict` (every tool reads strictly).
   */
  constructor(execute: Execute, dir: string, strict: boolean) {
    this.#execute = execute;
    this.#dir = dir;
    this.#strict = strict;
  }

  /** True once stdout is gone. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Waits for the queued tool calls. */
  drain(): Promise<void> {
    return this.#queue;
  }

  /** Writes one message as one line. */
  send(message: RpcResponse | RpcResponse[]): void {
    if (this.#closed) return;
    const bytes = this.#encoder.encode(JSON.stringify(message) + "\n");
    try {
      let off = 0;
      while (off < bytes.length) {
        off += Deno.stdout.writeSync(bytes.subarray(off));
      }
    } catch (e) {
      this.#closed = true;
      if (!(e instanceof Deno.errors.BrokenPipe)) {
        warn(`cannot write to stdout: ${(e as Error).message}`);
      }
    }
  }

  /** Handles one line of stdin. */
  async line(text: string): Promise<void> {
    if (text.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      warn(`malformed message: ${(e as Error).message}`);
      this.send(
        errorOf(null, PARSE_ERROR, `Parse error: ${(e as Error).message}`),
      );
      return;
    }
    if (!Array.isArray(parsed)) {
      const response = await this.message(parsed);
      if (response !== undefined) this.send(response);
      return;
    }
    // a batch (protocol 2025-03-26): one array of responses, if any
    if (parsed.length === 0) {
      this.send(errorOf(null, INVALID_REQUEST, "Invalid request: empty batch"));
      return;
    }
    const responses = (await Promise.all(parsed.map((m) => this.message(m))))
      .filter((r) => r !== undefined);
    if (responses.length > 0) this.send(responses);
  }

  /** Handles one message; returns its response (none for a notification). */
  async message(v: unknown): Promise<RpcResponse | undefined> {
    const m = checkMessage(v);
    if (m === "response") return undefined;
    if ("jsonrpc" in m) return m;
    if (m.id === undefined) {
      this.notification(m);
      return undefined;
    }
    this.#pending.add(m.id);
    try {
      const response = await this.request(m as RpcMessage & { id: RpcId });
      // a cancelled request gets no response
      return this.#cancelled.has(m.id) ? undefined : response;
    } catch (e) {
      warn(`internal error in ${m.method}: ${(e as Error).stack ?? e}`);
      return errorOf(
        m.id,
        INTERNAL_ERROR,
        `Internal error: ${(e as Error).message}`,
      );
    } finally {
      this.#pending.delete(m.id);
      this.#cancelled.delete(m.id);
    }
  }

  /** Notifications: cancellation is noted; the others need nothing. */
  notification(m: RpcMessage): void {
    if (m.method === "notifications/cancelled") {
      const id = (m.params as { requestId?: unknown } | undefined)?.requestId;
      if (
        (typeof id === "string" || typeof id === "number") &&
        this.#pending.has(id)
      ) this.#cancelled.add(id);
    }
  }

  /** Answers one request. */
  request(m: RpcMessage & { id: RpcId }): Promise<RpcResponse> | RpcResponse {
    const params = (m.params ?? {}) as Record<string, unknown>;
    switch (m.method) {
      case "initialize":
        return resultOf(m.id, this.initialize(params));
      case "ping":
        return resultOf(m.id, {});
      case "tools/list":
        return resultOf(m.id, { tools: this.tools() });
      case "tools/call":
        return this.call(m.id, params);
      default:
        return errorOf(m.id, METHOD_NOT_FOUND, `Method not found: ${m.method}`);
    }
  }

  /** `initialize`: the client's version when served, else the newest. */
  initialize(params: Record<string, unknown>): Record<string, unknown> {
    const asked = params.protocolVersion;
    this.#version = (PROTOCOL_VERSIONS as readonly unknown[]).includes(asked)
      ? asked as string
      : PROTOCOL_VERSIONS[0];
    return {
      protocolVersion: this.#version,
      capabilities: { tools: { listChanged: false } },
      serverInfo: { name: "exprag", title: "exprag", version: EXPRAG_VERSION },
      instructions: INSTRUCTIONS,
    };
  }

  /** The tools, with the fields the negotiated version knows. */
  tools(): Record<string, unknown>[] {
    return mcpTools().map((t) => {
      const { title, annotations, ...rest } = t;
      return {
        ...rest,
        ...(this.#version >= "2025-06-18" ? { title } : {}),
        ...(this.#version >= "2025-03-26" ? { annotations } : {}),
      };
    });
  }

  /** `tools/call`: queued, so that calls run one at a time. */
  call(
    id: RpcId,
    params: Record<string, unknown>,
  ): Promise<RpcResponse> | RpcResponse {
    const name = params.name;
    const cmd = typeof name === "string" &&
        toolCommands().some((c) => c.name === name)
      ? findCommand(name)
      : undefined;
    if (cmd === undefined) {
      return errorOf(
        id,
        INVALID_PARAMS,
        typeof name === "string" && Object.hasOwn(MCP_EXCLUDED, name)
          ? `Unknown tool: "${name}" is not a tool: ${MCP_EXCLUDED[name]}`
          : `Unknown tool: ${JSON.stringify(name) ?? String(name)}`,
      );
    }
    const structured = this.#version >= "2025-06-18";
    const result = this.#queue.then(async () => {
      if (this.#cancelled.has(id)) return {};
      return await callTool(this.#execute, cmd, params.arguments, {
        structured,
        dir: this.#dir,
        strict: this.#strict,
      });
    });
    this.#queue = result.then(() => {}, () => {});
    return result.then((r) => resultOf(id, r));
  }
}

/**
 * Runs `mcp`: serves stdin until it ends.
 *
 * @param ctx The invocation (its `execute` runs the tools).
 * @returns The exit code: 0 when stdin ended.
 */
export async function run(ctx: Context): Promise<number> {
  if (ctx.execute === undefined) throw new Error("mcp: no command runner");
  const server = new Server(ctx.execute, ctx.dir, ctx.strict);
  if (isTerminal()) {
    warn(
      "serving MCP on stdin/stdout, one JSON-RPC message per line (an MCP client starts this command; end with Ctrl-D)",
    );
  }
  const pending = new Set<Promise<void>>();
  for await (const text of lines(Deno.stdin.readable)) {
    if (typeof text !== "string") {
      warn(`dropped a message of ${text.tooLong} characters`);
      server.send(errorOf(
        null,
        INVALID_REQUEST,
        `Invalid request: a message of ${text.tooLong} characters (at most ${MAX_MESSAGE_CHARS})`,
      ));
      continue;
    }
    const p = server.line(text).catch((e) =>
      warn(`internal error: ${(e as Error).stack ?? e}`)
    );
    pending.add(p);
    p.finally(() => pending.delete(p));
    if (server.closed) break;
  }
  await Promise.all(pending);
  await server.drain();
  return 0;
}
