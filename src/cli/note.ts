/**
 * `exprag note RUN TEXT`: appends a conclusion about a run to its notes
 * file (`<dir>/notes/<run_id>.jsonl`; the run file is never touched). Also
 * the write-back shared with `exprag tag`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import {
  makeNotesRecord,
  MAX_NOTE_TEXT,
  type NoteBody,
  type NotesRecord,
} from "../note_record.ts";
import { appendNotesRecord } from "./note_writer.ts";
import { resolveRef } from "./common.ts";
import type { Context } from "./context.ts";
import { json } from "./format.ts";

/** The longest `--author` accepted. */
const MAX_AUTHOR = 200;

/** `--author`, checked: non-empty, short, on one line. */
function authorOf(ctx: Context, command: string): string | undefined {
  const a = ctx.options.author;
  if (typeof a !== "string") return undefined;
  if (a.trim() === "" || a.length > MAX_AUTHOR || /[\n\r]/.test(a)) {
    throw new UsageError(
      `--author: expected a name of 1 to ${MAX_AUTHOR} characters on one line`,
      command,
    );
  }
  return a;
}

/**
 * Resolves the run, then appends one record about it; prints the record
 * (`--json`) or `what` and the notes file.
 *
 * @param ctx The invocation (`args[0]` is the run reference).
 * @param body The note or tag, already checked.
 * @param what The line printed (before the notes file), from the record and run id.
 * @returns The exit code.
 */
export async function writeBack(
  ctx: Context,
  body: NoteBody,
  what: (record: NotesRecord, runId: string) => string,
): Promise<number> {
  const author = authorOf(ctx, body.kind);
  const run = await resolveRef(ctx, ctx.args[0]);
  const record = makeNotesRecord(run.id, body, { author });
  const file = appendNotesRecord(ctx.dir, record);
  if (ctx.json) json(ctx.out, { file, record });
  else ctx.out.line(`${what(record, run.id)} (${file})`);
  return 0;
}

/**
 * Runs `note`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export function run(ctx: Context): Promise<number> {
  const text = ctx.args[1];
  if (text.trim() === "" || text.length > MAX_NOTE_TEXT) {
    throw new UsageError(
      `TEXT: expected 1 to ${MAX_NOTE_TEXT} characters, not only white space`,
      "note",
    );
  }
  return writeBack(
    ctx,
    { kind: "note", text },
    (_, id) => `noted run ${id}`,
  );
}
