/**
 * JSON-RPC 2.0 over stdio as MCP frames it: one message per line (UTF-8,
 * `\n`-terminated, no embedded newline), the error codes, and the checks of
 * an incoming message.
 *
 * @module
 */

/** Invalid JSON was received. */
export const PARSE_ERROR = -32700;
/** The JSON sent is not a valid request object. */
export const INVALID_REQUEST = -32600;
/** The method does not exist. */
export const METHOD_NOT_FOUND = -32601;
/** Invalid method parameters (e.g. an unknown tool). */
export const INVALID_PARAMS = -32602;
/** An internal error of the server. */
export const INTERNAL_ERROR = -32603;

/** A request or notification id. */
export type RpcId = string | number;

/** An incoming request (with `id`) or notification (without). */
export interface RpcMessage {
  /** The id; absent for a notification. */
  id?: RpcId;
  /** The method. */
  method: string;
  /** The parameters, when given. */
  params?: unknown;
}

/** A response to send. */
export type RpcResponse =
  | { jsonrpc: "2.0"; id: RpcId; result: unknown }
  | {
    jsonrpc: "2.0";
    id: RpcId | null;
    error: { code: number; message: string };
  };

/**
 * A success response.
 *
 * @param id The request's id.
 * @param result The result object.
 * @returns The response.
 */
export function resultOf(id: RpcId, result: unknown): RpcResponse {
  return { jsonrpc: "2.0", id, result };
}

/**
 * An error response.
 *
 * @param id The request's id (null when it could not be read).
 * @param code One of the codes above.
 * @param message One line.
 * @returns The response.
 */
export function errorOf(
  id: RpcId | null,
  code: number,
  message: string,
): RpcResponse {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

/** Whether a value is a valid id (a string or an integer; null is not). */
function isId(v: unknown): v is RpcId {
  return typeof v === "string" ||
    (typeof v === "number" && Number.isInteger(v));
}

/**
 * Checks one parsed message: a request or notification, a response to us
 * (ignored: the server sends no requests), or an invalid one.
 *
 * @param v The parsed JSON value of one message.
 * @returns The message, `"response"`, or an error response to send.
 */
export function checkMessage(
  v: unknown,
): RpcMessage | "response" | RpcResponse {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    return errorOf(null, INVALID_REQUEST, "Invalid request: not an object");
  }
  const m = v as Record<string, unknown>;
  const id = isId(m.id) ? m.id : null;
  if (m.jsonrpc !== "2.0") {
    return errorOf(
      id,
      INVALID_REQUEST,
      'Invalid request: jsonrpc must be "2.0"',
    );
  }
  if (m.method === undefined && ("result" in m || "error" in m)) {
    return "response";
  }
  if (typeof m.method !== "string") {
    return errorOf(id, INVALID_REQUEST, "Invalid request: no method");
  }
  if ("id" in m && !isId(m.id)) {
    return errorOf(
      null,
      INVALID_REQUEST,
      "Invalid request: id must be a string or an integer",
    );
  }
  return {
    ...(id === null ? {} : { id }),
    method: m.method,
    ...("params" in m ? { params: m.params } : {}),
  };
}

/** The longest message read, in UTF-16 code units (a longer line is dropped). */
export const MAX_MESSAGE_CHARS = 16 * 1024 * 1024;

/** A line over the limit, dropped: how long it was. */
export interface TooLong {
  /** Its length in UTF-16 code units. */
  tooLong: number;
}

/**
 * The lines of a byte stream, decoded as UTF-8, without their `\n` (and a
 * `\r` before it); a last line without `\n` is yielded too. Each chunk is
 * searched once (a long line costs its length, not its length squared),
 * and a line longer than `max` is not held: it is dropped up to its end and
 * yielded as {@linkcode TooLong}.
 *
 * @param stream E.g. `Deno.stdin.readable`.
 * @param max The longest line kept.
 * @returns The lines, as they arrive.
 */
export async function* lines(
  stream: ReadableStream<Uint8Array>,
  max: number = MAX_MESSAGE_CHARS,
): AsyncGenerator<string | TooLong> {
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let held = 0;
  let dropped = -1; // the length of a line being dropped, else -1
  const end = (last: string): string | TooLong => {
    const n = (dropped >= 0 ? dropped : held) + last.length;
    const line = dropped >= 0 || n > max
      ? { tooLong: n }
      : (parts.join("") + last).replace(/\r$/, "");
    parts.length = 0;
    held = 0;
    dropped = -1;
    return line;
  };
  const more = (text: string) => {
    if (dropped >= 0) dropped += text.length;
    else if (held + text.length > max) {
      dropped = held + text.length;
      parts.length = 0;
      held = 0;
    } else if (text !== "") {
      parts.push(text);
      held += text.length;
    }
  };
  for await (const chunk of stream) {
    const text = decoder.decode(chunk, { stream: true });
    let from = 0;
    let nl: number;
    while ((nl = text.indexOf("\n", from)) !== -1) {
      yield end(text.slice(from, nl));
      from = nl + 1;
    }
    more(text.slice(from));
  }
  more(decoder.decode());
  if (held > 0 || dropped >= 0) yield end("");
}
