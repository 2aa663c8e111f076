// Fixture run files for the reading API tests, in our shape (docs/design.md)
// and in the Python exprag's exact shape (no tests here; imported by query_*_test.ts).
import { join } from "node:path";
import { tempDir } from "./_helpers.ts";
import {
  denoMachine,
  denoRecorder,
  makeExprag,
  pythonRecorder,
  runEndValue,
  trackLines,
  writeRunFile,
} from "./_cli_fixtures.ts";

export { pyTime } from "./_cli_fixtures.ts";

/** A track record to write. */
export interface FixtureTrack {
  value: unknown;
  note?: string;
  /** Milliseconds after the run start (default: 10 × index). */
  ms?: number;
}

/** What a fixture run holds. */
export interface FixtureRun {
  id?: string;
  name?: string;
  /** Start time (ISO); default 2026-11-20T10:00:00Z plus `index` minutes. */
  start?: string | Date;
  metadata?: unknown;
  git?: Record<string, unknown> | null;
  host?: Record<string, unknown>;
  process?: Record<string, unknown>;
  tracks?: FixtureTrack[];
  /** Our shape only: run_end status (omit for no run_end). */
  end?: "finished" | "failed" | "interrupted";
  /** Extra raw text appended at the end (e.g. a torn line). */
  tail?: string;
  /** Drop the summary from run_end (to force scans). */
  noSummary?: boolean;
}

let counter = 0;

/** A fresh UUID v4. */
export function uuid(): string {
  return crypto.randomUUID();
}

function startDate(run: FixtureRun): Date {
  if (run.start instanceof Date) return run.start;
  if (typeof run.start === "string") return new Date(run.start);
  return new Date(Date.UTC(2026, 10, 20, 10, counter++, 0));
}

/** Makes an exprag dir (with runs/) in a temp dir. */
export function expragDir(): string {
  return makeExprag(tempDir("exprag-query-"));
}

/**
 * Writes a run in the Python exprag's exact shape (serde_json: keys sorted,
 * its own `exprag_version`, `+00:00` nanosecond times, `git` as
 * `{branch, commit, dirty}` or null, no run_end, never locked); returns its
 * id and file.
 */
export function writePythonRun(
  dir: string,
  run: FixtureRun,
): { id: string; file: string } {
  const id = run.id ?? uuid();
  const rec = pythonRecorder(
    id,
    run.name ?? "python experiment",
    startDate(run),
  );
  const startValue: Record<string, unknown> = {
    git: run.git === undefined
      ? {
        branch: "main",
        commit: "0123456789abcdef0123456789abcdef01234567",
        dirty: false,
      }
      : run.git,
    host: run.host ?? {
      hostname: "py-host",
      os: "linux",
      arch: "x86_64",
      username: "me",
      cpu_count: 2,
    },
    process: run.process ??
      { pid: 999999, ppid: 1, cwd: "/work", argv: ["train.py"] },
  };
  if (run.metadata !== undefined) startValue.metadata = run.metadata;
  const lines = [
    rec("run_start", startValue, 0),
    ...trackLines(rec, run.tracks).lines,
  ];
  const file = join(dir, "runs", `${id}.jsonl`);
  writeRunFile(file, lines, run.tail);
  return { id, file };
}

/** Writes a run in our shape (docs/design.md); returns its id and file. */
export function writeDenoRun(
  dir: string,
  run: FixtureRun,
): { id: string; file: string } {
  const id = run.id ?? uuid();
  const rec = denoRecorder(id, run.name ?? "deno experiment", startDate(run));
  const machine = denoMachine({
    hostname: "deno-host",
    pid: 999998,
    osRelease: "6.0",
  });
  const startValue: Record<string, unknown> = {
    git: run.git === undefined
      ? {
        commit: "89abcdef0123456789abcdef0123456789abcdef",
        branch: "main",
        dirty: false,
        head: "89abcdef0123456789abcdef0123456789abcdef",
        head_branch: "main",
        status: "",
        status_truncated: false,
        mode: "snapshot",
        toplevel: "/work/repo",
        exprag_dir: ".exprag",
        skipped: [],
      }
      : run.git,
    host: run.host ?? machine.host,
    process: run.process ?? machine.process,
    runtime: machine.runtime,
  };
  if (run.metadata !== undefined) startValue.metadata = run.metadata;
  const tracks = trackLines(rec, run.tracks);
  const { summary, last } = tracks;
  const lines = [rec("run_start", startValue, 0), ...tracks.lines];
  if (run.end !== undefined) {
    const end = runEndValue(run.end, (run.tracks ?? []).length, last + 1);
    if (run.end === "failed") {
      end.error = { name: "Error", message: "boom", stack: "Error: boom" };
    }
    if (run.end === "interrupted") end.signal = "SIGINT";
    if (!run.noSummary) {
      end.summary = summary.toJSON();
      end.summary_truncated = summary.truncated;
    }
    lines.push(rec("run_end", end, last + 1));
  }
  const file = join(dir, "runs", `${id}.jsonl`);
  writeRunFile(file, lines, run.tail);
  return { id, file };
}

/** Spawns a deno process running `code`; resolves once it printed "ready". */
export async function spawnReady(code: string, flags: string[] = ["-A"]) {
  const file = join(tempDir("exprag-child-"), "child.ts");
  Deno.writeTextFileSync(file, code);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-config", ...flags, file],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`child ended before ready: ${out}`);
    out += new TextDecoder().decode(value);
  }
  return {
    child,
    out: () => out,
    async kill(signal: Deno.Signal = "SIGKILL") {
      child.kill(signal);
      reader.releaseLock();
      await child.stdout.cancel();
      return await child.status;
    },
  };
}
