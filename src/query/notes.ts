/**
 * Reading the conclusions written back about runs (`exprag note`, `exprag
 * tag`; format in src/note_record.ts) from `<exprag dir>/notes/<run_id>.jsonl`:
 * a run's notes in order, and its tags (the last value of each key wins; a
 * `null` value removes the key). The listing attaches them to every run as
 * `RunInfo.tags` and `RunInfo.notes`, reading the notes directory once.
 *
 * Requires `--allow-read` for the exprag directory; without read access to
 * the notes directory (e.g. `--dir DIR/runs`) runs simply have no notes.
 *
 * @module
 */

import { join } from "../path.ts";
import {
  checkNotesRecord,
  notesDir,
  type NotesRecord,
} from "../note_record.ts";
import { granted } from "../permissions.ts";
import { isValidRunId, resolveDir } from "./files.ts";
import { report } from "./problems.ts";
import { fileError } from "./reader.ts";
import type { ReadOptions, RunInfo, RunNote } from "./types.ts";

/** A notes file larger than this is skipped (and reported). */
const MAX_NOTES_BYTES = 16 * 1024 * 1024;

/** Everything written back about one run. */
export interface RunNotes {
  /** The run id. */
  run_id: string;
  /** The notes file (it may not exist). */
  file: string;
  /** Every valid record, in file order. */
  records: NotesRecord[];
  /** Tag key → its last value (removed keys left out). */
  tags: Record<string, string>;
  /** The notes, oldest first. */
  notes: RunNote[];
}

/**
 * The tags and notes of a run's records.
 *
 * @param records The records, in file order.
 * @returns The tags (last value wins, `null` removes) and the notes.
 */
export function foldNotes(
  records: readonly NotesRecord[],
): { tags: Record<string, string>; notes: RunNote[] } {
  const tags = new Map<string, string>();
  const notes: RunNote[] = [];
  for (const r of records) {
    if (r.kind === "note") {
      notes.push({
        created_at: r.created_at,
        author: r.author ?? null,
        text: r.text,
      });
    } else if (r.value === null) {
      tags.delete(r.key);
    } else {
      tags.delete(r.key); // re-set keys move last, as they were set last
      tags.set(r.key, r.value);
    }
  }
  return { tags: Object.fromEntries(tags), notes };
}

/**
 * Reads one notes file; invalid lines are reported and skipped.
 *
 * @param file The notes file.
 * @param runId The run it belongs to (each record must name it).
 * @param options Problem handling.
 * @returns The valid records (none when the file does not exist).
 */
export function readNotesFile(
  file: string,
  runId: string,
  options: ReadOptions = {},
): NotesRecord[] {
  let text: string;
  try {
    const info = Deno.lstatSync(file);
    if (!info.isFile) {
      report(options, {
        file,
        line: 0,
        reason: "notes file is not a regular file (not read)",
      });
      return [];
    }
    if (info.size > MAX_NOTES_BYTES) {
      report(options, {
        file,
        line: 0,
        reason: `notes file larger than ${MAX_NOTES_BYTES} bytes (not read)`,
      });
      return [];
    }
    text = Deno.readTextFileSync(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    // as a run file that cannot be read: reported, the other runs answered
    fileError(file, e, options);
    return [];
  }
  const out: NotesRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(lines[i]);
    } catch {
      report(options, {
        file,
        line: i + 1,
        reason: "invalid JSON (torn line?)",
      });
      continue;
    }
    const r = checkNotesRecord(parsed, runId);
    if (typeof r === "string") {
      report(options, { file, line: i + 1, reason: r });
    } else out.push(r);
  }
  return out;
}

/** The names of the regular files in the notes directory; others are reported. */
function notesFiles(dir: string, options: ReadOptions): Set<string> {
  const names = new Set<string>();
  if (!granted({ name: "read", path: dir })) return names;
  try {
    if (Deno.lstatSync(dir).isSymlink) {
      report(options, {
        file: dir,
        line: 0,
        reason: "notes directory is a symbolic link (not read)",
      });
      return names;
    }
    for (const e of Deno.readDirSync(dir)) {
      if (!e.name.endsWith(".jsonl")) continue;
      if (e.isFile) names.add(e.name);
      else {
        report(options, {
          file: join(dir, e.name),
          line: 0,
          reason: "not a regular file (notes never follow links)",
        });
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return names;
    if (e instanceof Deno.errors.NotADirectory) {
      report(options, { file: dir, line: 0, reason: "not a directory" });
      return names;
    }
    throw e;
  }
  return names;
}

/**
 * A function setting `tags` and `notes` on one run at a time, the notes
 * directory listed once: for readers that stream runs one by one.
 *
 * @param options The exprag directory and problem handling.
 * @returns The function (it changes the run in place and returns it).
 */
export function notesAttacher(
  options: ReadOptions = {},
): (run: RunInfo) => RunInfo {
  const dir = notesDir(resolveDir(options.dir));
  const names = notesFiles(dir, options);
  return (run) => {
    const name = `${run.id}.jsonl`;
    const records = names.has(name)
      ? readNotesFile(join(dir, name), run.id, options)
      : [];
    const { tags, notes } = foldNotes(records);
    run.tags = tags;
    run.notes = notes;
    return run;
  };
}

/**
 * Sets `tags` and `notes` on every run from the notes directory, read once.
 *
 * @param runs The runs (changed in place).
 * @param options The exprag directory and problem handling.
 * @returns The same runs.
 */
export function attachNotes(
  runs: RunInfo[],
  options: ReadOptions = {},
): RunInfo[] {
  const attach = notesAttacher(options);
  for (const run of runs) attach(run);
  return runs;
}

/**
 * Everything written back about a run with `exprag note` and `exprag tag`:
 * every record in order, the tags and the notes. (Listed runs already
 * carry `tags` and `notes`; this adds the full history, e.g. removed tags.)
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param run A run (e.g. from `resolveRun`) or a run id.
 * @param options The exprag directory and problem handling.
 * @returns The run's notes.
 * @example
 * ```ts ignore
 * import { readNotes, resolveRun } from "@exprag/cli";
 * const { tags, notes } = await readNotes(await resolveRun("latest"));
 * console.log(tags.verdict, notes.at(-1)?.text);
 * ```
 */
export function readNotes(
  run: RunInfo | string,
  options: ReadOptions = {},
): Promise<RunNotes> {
  try {
    const id = typeof run === "string" ? run : run.id;
    if (!isValidRunId(id)) {
      throw new RangeError(`invalid run id ${JSON.stringify(id)}`);
    }
    const file = join(notesDir(resolveDir(options.dir)), `${id}.jsonl`);
    const records = readNotesFile(file, id, options);
    return Promise.resolve({
      run_id: id,
      file,
      records,
      ...foldNotes(records),
    });
  } catch (e) {
    return Promise.reject(e);
  }
}
