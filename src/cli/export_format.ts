/**
 * The line formats of `exprag export`: CSV (RFC 4180 quoting), TSV
 * (backslash escapes, one line per row) and JSON Lines. Every format
 * writes NaN and the infinities as `NaN`, `Infinity` and `-Infinity` (the
 * recorded form, which DuckDB's and pandas' CSV readers read as numbers);
 * a missing value is an empty field (`null` in JSON Lines).
 *
 * @module
 */

/** The formats `exprag export --format` accepts. */
export type ExportFormat = "csv" | "tsv" | "jsonl";

/** The text of one CSV or TSV cell before quoting or escaping. */
function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  // a finite number through JSON.stringify (the same text by definition):
  // String() would enter it in V8's number-string cache, which keeps each
  // string alive into the old generation (hundreds of MiB of garbage over
  // an export of 100,000 runs of 200 metrics before a full GC frees it)
  if (typeof v === "number" && Number.isFinite(v)) return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v) ?? null;
}

const CSV_QUOTE = /[",\r\n]/;

/**
 * One CSV field, quoted per RFC 4180 when it holds a comma, a quote, a
 * carriage return or a newline (quotes doubled); an empty string is `""`,
 * a missing value an empty field.
 *
 * @param v The value (recorded form).
 * @returns The field.
 */
export function csvField(v: unknown): string {
  const s = cellText(v);
  if (s === null) return "";
  if (s === "" || CSV_QUOTE.test(s)) return `"${s.replaceAll('"', '""')}"`;
  return s;
}

const TSV_ESCAPE = /[\\\t\n\r]/g;

/**
 * One TSV field: backslash, tab, newline and carriage return become `\\`,
 * `\t`, `\n` and `\r` (as PostgreSQL's text format writes them), so a row
 * is always one line; nothing is quoted. A missing value is an empty field.
 *
 * @param v The value (recorded form).
 * @returns The field.
 */
export function tsvField(v: unknown): string {
  const s = cellText(v);
  if (s === null) return "";
  return s.replace(
    TSV_ESCAPE,
    (c) =>
      c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

/**
 * Writes rows of one format, each as one string: the header first (CSV,
 * TSV), then one line per row.
 */
export class RowWriter {
  #format: ExportFormat;
  #header: readonly string[];

  /**
   * @param format The format.
   * @param header The column names (the keys of JSON Lines objects).
   */
  constructor(format: ExportFormat, header: readonly string[]) {
    this.#format = format;
    this.#header = header;
  }

  /** The header line (with its newline), or `""` for JSON Lines. */
  header(): string {
    return this.#format === "jsonl" ? "" : this.#line(this.#header);
  }

  /**
   * One row as a line (with its newline).
   *
   * @param cells The values, aligned with the header.
   * @returns The line.
   */
  row(cells: readonly unknown[]): string {
    if (this.#format !== "jsonl") return this.#line(cells);
    const o: Record<string, unknown> = {};
    this.#header.forEach((h, i) => {
      Object.defineProperty(o, h, {
        value: cells[i] ?? null,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    });
    return JSON.stringify(o) + "\n";
  }

  #line(cells: readonly unknown[]): string {
    return this.#format === "csv"
      ? cells.map(csvField).join(",") + "\n"
      : cells.map(tsvField).join("\t") + "\n";
  }
}
