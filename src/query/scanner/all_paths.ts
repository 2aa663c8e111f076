/**
 * The statistics of every numeric path of one run file in one pass, for
 * `exprag show` (`runStats`) of a run without `run_end`: each track line is
 * read by a template that captures all its numeric leaves
 * (`leaves_template.ts`) when one matches, else parsed (JSON.parse), and
 * its leaves go to one `SummaryBuilder`, in the order `SummaryBuilder.add`
 * would visit them. Memory holds the builder, one text and the templates,
 * whatever the file's length.
 *
 * A line that is not a JSON object, or a record of another run, makes the
 * whole file `invalid` (the caller reads it again with the reporting
 * reader), as for the scan of one path.
 *
 * Main thread only.
 *
 * @module
 * @internal
 */

import { type PathStats, SummaryBuilder } from "../../summary.ts";
import {
  READ_CHUNK_BYTES,
  type ReadBuffers,
  readFile,
  type TextReader,
} from "./file_scanner.ts";
import {
  compileLeavesTemplate,
  type LeavesTemplate,
  stringLeaf,
} from "./leaves_template.ts";
import { firstRunId, parseLine } from "./line_scan.ts";
import { createLearnPolicy, TEMPLATES_PER_PATH } from "./template_set.ts";

/** What the scan of every path produced. */
export type AllPathsResult =
  | {
    status: "ok";
    /** Path → statistics, in the builder's order. */
    paths: Record<string, PathStats>;
    /** Whether paths past `MAX_SUMMARY_PATHS` were dropped. */
    truncated: boolean;
    /** Lines read by templates. */
    templateLines: number;
  }
  | { status: "invalid" }
  | { status: "error"; message: string };

/** The state of one file's scan of every path. */
interface AllPathsScan extends TextReader {
  /** Lines read by templates. */
  hits: number;
}

/**
 * Creates the reader of one file: its builder, templates and run id.
 *
 * @param b Where the leaves go.
 * @returns The reader.
 */
function allPathsReader(b: SummaryBuilder): AllPathsScan {
  const list: LeavesTemplate[] = [];
  const policy = createLearnPolicy();
  let runId: string | undefined;
  const paths: string[] = [];
  const values: number[] = [];
  /** A line by a template: its end, or -1 when none matches. */
  const byTemplate = (text: string, ls: number): number => {
    for (let q = 0; q < list.length; q++) {
      const t = list[q];
      t.re.lastIndex = ls;
      const m = t.re.exec(text);
      if (m === null) continue;
      if (t.id !== 0 && runId !== undefined && m[t.id] !== runId) return -1;
      if (q > 0) {
        list[q] = list[q - 1];
        list[q - 1] = t;
      }
      let n = 0;
      for (let k = 0; k < t.groups.length; k++) {
        const raw = m[t.groups[k]];
        const v = t.strings[k] ? stringLeaf(raw) : +raw;
        if (v === undefined) continue;
        paths[n] = t.paths[k];
        values[n++] = v;
      }
      b.addLeaves(paths, values, n, t.ms === 0 ? 0 : +m[t.ms]);
      scan.hits++;
      return t.re.lastIndex;
    }
    return -1;
  };
  /** A line [ls, le) parsed: `false` when invalid or of another run. */
  const exact = (text: string, ls: number, le: number, learn: boolean) => {
    const r = parseLine(text.slice(ls, le));
    if (r === undefined) return false;
    if (r === null) return true;
    if (runId !== undefined && r.run_id !== undefined && r.run_id !== runId) {
      return false;
    }
    if (r.kind !== "track") return true;
    b.add(r.value, typeof r.elapsed_ms === "number" ? r.elapsed_ms : 0);
    if (learn && policy.ready()) {
      const t = compileLeavesTemplate(text, ls, le);
      policy.built(t !== null, scan.hits);
      if (t !== null) {
        if (list.length >= TEMPLATES_PER_PATH) list.pop();
        list.unshift(t);
      }
    }
    return true;
  };
  const scan: AllPathsScan = {
    done: false,
    hits: 0,
    start(text: string): number {
      const pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
      runId = firstRunId(text, pos);
      return pos;
    },
    read(text: string, pos: number): boolean {
      while (pos < text.length) {
        const te = list.length === 0 ? -1 : byTemplate(text, pos);
        if (te >= 0) {
          pos = te;
          continue;
        }
        const le = text.indexOf("\n", pos);
        if (!exact(text, pos, le, true)) return false;
        pos = le + 1;
      }
      return true;
    },
    last: (text: string) => exact(text, 0, text.length, false),
  };
  return scan;
}

/**
 * Scans a run file for the statistics of every numeric path of its track
 * records (what `run_end`'s summary would hold).
 *
 * @param file The run file.
 * @returns The statistics; `invalid` when a line is not a JSON object or
 *   is of another run; `error` when the file cannot be read.
 */
export function scanAllPaths(file: string): AllPathsResult {
  const io: ReadBuffers = {
    buf: new Uint8Array(READ_CHUNK_BYTES),
    decoder: new TextDecoder("utf-8", { ignoreBOM: true }),
  };
  const b = new SummaryBuilder();
  const st = allPathsReader(b);
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(file, { read: true });
  } catch (e) {
    return { status: "error", message: String(e) };
  }
  try {
    if (!readFile(f, io, st)) return { status: "invalid" };
  } catch (e) {
    return { status: "error", message: String(e) };
  } finally {
    f.close();
  }
  return {
    status: "ok",
    paths: b.toJSON(),
    truncated: b.truncated,
    templateLines: st.hits,
  };
}
