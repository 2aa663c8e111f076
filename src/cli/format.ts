/**
 * Output formatting: stable tab-separated tables with a header, JSON for
 * machines, one-line errors. Every string from a record is untrusted, so
 * cells and messages escape tabs, newlines, control characters and
 * bidirectional overrides: a record can neither break a table row nor
 * drive the terminal. Value paths are the exception: written by
 * `src/value_path.ts` with such characters escaped already, their cells are
 * shown as they are, to be pasted back.
 *
 * @module
 */

import { DISPLAY_UNSAFE } from "../value_path.ts";

const UNSAFE = new RegExp(`[\\\\${DISPLAY_UNSAFE}]`, "g");

/** A display-unsafe character other than the backslash. */
const UNSAFE_IN_PATH = new RegExp(`[${DISPLAY_UNSAFE}\\ud800-\\udfff]`, "u");

/**
 * Escapes a string for one table cell or one message line: backslash, tab,
 * newline, carriage return and other control or bidi characters become
 * backslash escapes.
 *
 * @param s Any string.
 * @returns The string with nothing that could split a row or reach the terminal.
 */
export function escapeText(s: string): string {
  return s.replace(UNSAFE, (c) => {
    switch (c) {
      case "\\":
        return "\\\\";
      case "\t":
        return "\\t";
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      default: {
        const code = c.charCodeAt(0);
        return code <= 0xff
          ? `\\x${code.toString(16).padStart(2, "0")}`
          : `\\u${code.toString(16).padStart(4, "0")}`;
      }
    }
  });
}

/**
 * Quotes a word for a POSIX shell, so that a suggested command
 * (`git worktree remove DIR`) can be pasted as is: words made only of
 * `A-Za-z0-9_@%+=:,./-` stay as they are, anything else is single-quoted.
 * (Control characters are still escaped by the table; such names are not
 * pasteable from a table, only from `--json`.)
 *
 * @param s The word.
 * @returns The word as the shell must read it.
 */
export function shellQuote(s: string): string {
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  // a quote as '"'"' (no backslash, which a table cell would escape)
  return `'${s.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Formats one table cell: `null`/`undefined` empty, strings escaped,
 * numbers and booleans as text, anything else as compact JSON.
 *
 * @param v The value.
 * @returns The cell text.
 */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return escapeText(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return escapeText(JSON.stringify(v) ?? "");
}

/** Significant digits of the statistics in `show` and `compare` tables. */
export const TABLE_DIGITS = 6;

/**
 * A number as a statistics table shows it: a non-integer to
 * {@linkcode TABLE_DIGITS} significant digits (`--json` keeps every digit);
 * anything else as it is.
 *
 * @param v The value.
 * @returns The value to put in the cell.
 */
export function approx(v: unknown): unknown {
  return typeof v === "number" && Number.isFinite(v) && !Number.isInteger(v)
    ? Number(v.toPrecision(TABLE_DIGITS))
    : v;
}

/**
 * Formats one table cell holding a value path: as it is, backslashes
 * included, so that it can be pasted back. A path written by
 * `src/value_path.ts` (`formatPath`, `childPath`) holds only printable
 * characters by construction; any other text is escaped as by
 * {@linkcode cell}.
 *
 * @param v The path (or any value).
 * @returns The cell text.
 */
export function pathCell(v: unknown): string {
  return typeof v === "string" && !UNSAFE_IN_PATH.test(v) ? v : cell(v);
}

/** Options of {@linkcode table}. */
export interface TableOptions {
  /**
   * Names of the columns that hold value paths, written with
   * {@linkcode pathCell} (as they are) rather than {@linkcode cell}.
   */
  paths?: readonly string[];
}

/**
 * Buffered writer for stdout that stops quietly on a closed pipe, and stops
 * on any other write failure (e.g. a full disk), keeping the error.
 */
export class Out {
  #buf: string[] = [];
  #size = 0;
  #closed = false;
  #error: Error | undefined;
  #encoder = new TextEncoder();
  #file: { writeSync(p: Uint8Array): number };

  /** @param file Where to write (stdout by default). */
  constructor(file: { writeSync(p: Uint8Array): number } = Deno.stdout) {
    this.#file = file;
  }

  /** True once the reader went away (e.g. `| head`): stop producing output. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The write failure that closed the output, other than a closed pipe. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Appends text (flushed in 64 KiB chunks). */
  write(text: string): void {
    if (this.#closed) return;
    this.#buf.push(text);
    this.#size += text.length;
    if (this.#size >= 65536) this.flush();
  }

  /** Appends one line. */
  line(text = ""): void {
    this.write(text + "\n");
  }

  /** Writes everything buffered. */
  flush(): void {
    if (this.#closed || this.#buf.length === 0) return;
    const bytes = this.#encoder.encode(this.#buf.join(""));
    this.#buf = [];
    this.#size = 0;
    let off = 0;
    try {
      while (off < bytes.length) {
        off += this.#file.writeSync(bytes.subarray(off));
      }
    } catch (e) {
      this.#closed = true;
      if (!(e instanceof Deno.errors.BrokenPipe)) {
        this.#error = e instanceof Error ? e : new Error(String(e));
      }
    }
  }
}

function colour(): boolean {
  try {
    return Deno.stdout.isTerminal() && !Deno.noColor;
  } catch {
    return false;
  }
}

/**
 * Writes a table: a header line, then one line per row, cells separated by
 * a tab. The header is bold only on a terminal without `NO_COLOR`.
 *
 * @param out The writer.
 * @param header Column names.
 * @param rows Rows of raw values (formatted with {@linkcode cell}).
 * @param options Which columns hold value paths ({@linkcode pathCell}).
 */
export function table(
  out: Out,
  header: readonly string[],
  rows: Iterable<readonly unknown[]>,
  options: TableOptions = {},
): void {
  const h = header.join("\t");
  out.line(colour() ? `\x1b[1m${h}\x1b[0m` : h);
  const paths = options.paths ?? [];
  const format = header.map((name) => paths.includes(name) ? pathCell : cell);
  for (const row of rows) {
    out.line(row.map((v, i) => (format[i] ?? cell)(v)).join("\t"));
    if (out.closed) return;
  }
}

/**
 * Writes a value as indented JSON.
 *
 * @param out The writer.
 * @param value Any JSON-compatible value.
 */
export function json(out: Out, value: unknown): void {
  out.line(JSON.stringify(value, null, 2));
}

/** Where {@linkcode stderrLine} writes while {@linkcode captureStderr} runs. */
let stderrSink: ((line: string) => void) | undefined;

/**
 * Runs `fn` with every line it writes through {@linkcode stderrLine} (notes,
 * warnings, skipped lines) handed to `sink` instead of stderr, escaped as
 * stderr would get it. The sink is one per process: callers run one
 * captured function at a time (the MCP server runs one command at a time).
 *
 * @param sink Receives each line, without the newline.
 * @param fn The work whose lines to capture.
 * @returns What `fn` returns.
 */
export async function captureStderr<T>(
  sink: (line: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  const before = stderrSink;
  stderrSink = sink;
  try {
    return await fn();
  } finally {
    stderrSink = before;
  }
}

/**
 * Writes one line on stderr, escaped (or to the sink of
 * {@linkcode captureStderr} while one runs).
 *
 * @param message The line (without the trailing newline).
 */
export function stderrLine(message: string): void {
  if (stderrSink !== undefined) {
    stderrSink(escapeText(message));
    return;
  }
  const bytes = new TextEncoder().encode(escapeText(message) + "\n");
  try {
    let off = 0;
    while (off < bytes.length) {
      off += Deno.stderr.writeSync(bytes.subarray(off));
    }
  } catch {
    // nowhere left to report
  }
}

/**
 * Formats a duration in milliseconds as seconds with millisecond precision.
 *
 * @param ms Milliseconds, or null.
 * @returns E.g. `12.345`, or `null`.
 */
export function seconds(ms: number | null | undefined): number | null {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return null;
  return Math.round(ms) / 1000;
}

/**
 * Normalizes a recorded RFC 3339 time to UTC with milliseconds
 * (`2025-01-31T12:00:00.123Z`); unparsable text is returned as is.
 *
 * @param t The recorded time.
 * @returns The normalized time, or null.
 */
export function isoTime(t: unknown): string | null {
  if (typeof t !== "string") return null;
  // Date.parse handles at most millisecond fractions: trim longer ones.
  const trimmed = t.replace(/(\.\d{3})\d+/, "$1");
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? t : new Date(ms).toISOString();
}
