/**
 * The notes record format: conclusions written back about a run by an agent
 * or a user (`exprag note`, `exprag tag`), kept apart from the run file
 * (which is the tracker's alone) in `<exprag dir>/notes/<run_id>.jsonl`,
 * one JSON object a line, append-only:
 *
 * ```jsonc
 * {"schema_version":1,"exprag_version":"0.1.0","run_id":"…","kind":"note","created_at":"2026-12-02T15:00:00.000Z","author":"claude","text":"diverged: lr too high"}
 * {"schema_version":1,"exprag_version":"0.1.0","run_id":"…","kind":"tag","created_at":"2026-12-02T15:00:01.000Z","key":"verdict","value":"diverged"}
 * ```
 *
 * `author` is present only when given. A tag's last record wins; a tag
 * record with `value: null` (written by `exprag tag RUN KEY=`) removes the
 * key. The writer (src/cli/note_writer.ts) and the reader (src/query/notes.ts)
 * use this module; nothing else knows how a notes line is put together.
 *
 * @module
 */

import { basename, dirname, join } from "./path.ts";
import { EXPRAG_VERSION, SCHEMA_VERSION } from "./version.ts";

/** The kinds of notes record: a free-text note, or a key/value tag. */
export type NoteKind = "note" | "tag";

/** The name of the notes directory inside the exprag directory. */
export const NOTES_DIR_NAME = "notes";

/**
 * The notes directory of an exprag directory: `<dir>/notes`, or the
 * `notes` directory beside it when `dir` is a `runs` directory (as the
 * reader accepts).
 *
 * @param dir The exprag directory, already resolved (e.g. `.exprag`).
 * @returns The notes directory, e.g. `.exprag/notes`.
 * @example
 * ```ts
 * import { notesDir } from "./note_record.ts";
 * notesDir(".exprag"); // ".exprag/notes"
 * ```
 */
export function notesDir(dir: string): string {
  const trimmed = dir.length > 1 ? dir.replace(/[\\/]+$/, "") : dir;
  if (basename(trimmed) === "runs") {
    return join(dirname(trimmed), NOTES_DIR_NAME);
  }
  return join(dir, NOTES_DIR_NAME);
}

/** A tag key: a letter or `_`, then letters, digits, `_` or `-` (at most 64). */
export const TAG_KEY_RE: RegExp = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** The longest note text accepted, in UTF-16 code units. */
export const MAX_NOTE_TEXT = 16 * 1024;

/** The longest tag value accepted, in UTF-16 code units. */
export const MAX_TAG_VALUE = 1024;

/** The fields every notes record has. */
export interface NoteHead<K extends NoteKind = NoteKind> {
  /** The schema version (1). */
  schema_version: number;
  /** The version of exprag for Deno that wrote it. */
  exprag_version: string;
  /** The run the record is about. */
  run_id: string;
  /** The kind. */
  kind: K;
  /** RFC 3339 UTC wall-clock time of writing. */
  created_at: string;
  /** Who wrote it (`--author`), when known. */
  author?: string;
}

/** A free-text conclusion about a run. */
export interface NoteRecord extends NoteHead<"note"> {
  /** The text, e.g. `diverged: lr too high`. */
  text: string;
}

/** A key/value label of a run; `value: null` removes the key. */
export interface TagRecord extends NoteHead<"tag"> {
  /** The key ({@linkcode TAG_KEY_RE}). */
  key: string;
  /** The value, or `null` to remove the key. */
  value: string | null;
}

/** Any notes record. */
export type NotesRecord = NoteRecord | TagRecord;

/** The body of a notes record: what its writer chooses. */
export type NoteBody =
  | { kind: "note"; text: string }
  | { kind: "tag"; key: string; value: string | null };

/**
 * Builds a notes record with its fields in the written order.
 *
 * @param runId The run id.
 * @param body The note text, or the tag key and value.
 * @param options `author` (left out when undefined) and `createdAt`
 *   (default: now).
 * @returns The record.
 * @example
 * ```ts
 * import { makeNotesRecord } from "./note_record.ts";
 * makeNotesRecord("3f2a9c1e", { kind: "tag", key: "verdict", value: "ok" });
 * ```
 */
export function makeNotesRecord(
  runId: string,
  body: NoteBody,
  options: { author?: string; createdAt?: string } = {},
): NotesRecord {
  const head = {
    schema_version: SCHEMA_VERSION,
    exprag_version: EXPRAG_VERSION,
    run_id: runId,
    kind: body.kind,
    created_at: options.createdAt ?? new Date().toISOString(),
    ...(options.author === undefined ? {} : { author: options.author }),
  };
  return body.kind === "note"
    ? { ...head, kind: "note", text: body.text }
    : { ...head, kind: "tag", key: body.key, value: body.value };
}

/**
 * A notes record as one line of its file.
 *
 * @param record The record.
 * @returns Its JSON text and a newline.
 */
export function formatNotesLine(record: NotesRecord): string {
  return JSON.stringify(record) + "\n";
}

/**
 * Checks a parsed line of a notes file.
 *
 * @param value The parsed JSON.
 * @param runId The run the file belongs to.
 * @returns The record, or why it is not one.
 */
export function checkNotesRecord(
  value: unknown,
  runId: string,
): NotesRecord | string {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return "not a JSON object";
  }
  const r = value as Record<string, unknown>;
  if (r.run_id !== runId) return `run_id is not ${runId}`;
  if (typeof r.created_at !== "string") return "created_at is not a string";
  if (r.author !== undefined && typeof r.author !== "string") {
    return "author is not a string";
  }
  if (r.kind === "note") {
    return typeof r.text === "string"
      ? r as unknown as NoteRecord
      : "text is not a string";
  }
  if (r.kind === "tag") {
    if (typeof r.key !== "string" || !TAG_KEY_RE.test(r.key)) {
      return "key is not a tag key";
    }
    return typeof r.value === "string" || r.value === null
      ? r as unknown as TagRecord
      : "value is not a string or null";
  }
  return `unknown kind ${JSON.stringify(r.kind)}`;
}
