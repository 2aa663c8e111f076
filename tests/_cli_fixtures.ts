// Fixtures and helpers for the CLI tests: run files written by the test in
// our shape (docs/design.md) and in the Python exprag's exact shape, real git
// repositories with snapshot-like commits, and running cli.ts as a real
// subprocess under given permission flags.
import { match, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import { formatRecord } from "../src/record.ts";
import { SummaryBuilder } from "../src/summary.ts";
import { EXPRAG_VERSION, SCHEMA_VERSION } from "../src/version.ts";
import {
  CLI_URL,
  denoRunArgs,
  git,
  GIT_ENV,
  makeRepo,
  type Output,
  run,
  tempDir,
} from "./_helpers.ts";

/** One track record of a fixture run. */
export interface Track {
  value: unknown;
  note?: string;
}

/** A fixture run. */
export interface Run {
  id?: string;
  name?: string;
  /** Start time; default: `daysAgo` days before now. */
  start?: Date;
  /** Days before now (default 1). */
  daysAgo?: number;
  metadata?: unknown;
  git?: Record<string, unknown> | null;
  tracks?: Track[];
  /** Our shape: run_end status; omit for no run_end. */
  end?: "finished" | "failed" | "interrupted";
  /** Raw text appended to the file (e.g. a torn line). */
  tail?: string;
  /** File name under runs/ (default `<id>.jsonl`). */
  file?: string;
}

/** Makes `<tmp>/.exprag/runs` (or inside `root`) and returns the exprag dir. */
export function makeExprag(root: string = tempDir("exprag-cli-")): string {
  const dir = join(root, ".exprag");
  Deno.mkdirSync(join(dir, "runs"), { recursive: true });
  return dir;
}

function startOf(r: Run): Date {
  return r.start ?? new Date(Date.now() - (r.daysAgo ?? 1) * 86_400_000);
}

/** Python exprag's timestamp: `+00:00` and nanoseconds. */
export function pyTime(d: Date, extraNanos = 0): string {
  const iso = d.toISOString();
  const nanos = String(
    Number(iso.slice(20, 23)) * 1_000_000 + 123_456 + extraNanos,
  ).padStart(9, "0");
  return `${iso.slice(0, 19)}.${nanos}+00:00`;
}

/** Makes one record line of a fixture run from its kind, value, time and note. */
export type Recorder = (
  kind: string,
  value: unknown,
  ms: number,
  note?: string,
) => string;

/** The `exprag_version` the Python exprag's fixture records carry (it writes its own). */
export const PYTHON_EXPRAG_VERSION = "0.4.1";

/** A JSON value with the keys of every object sorted, as serde_json writes them. */
function sortedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedDeep);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o).sort().map((k) => [k, sortedDeep(o[k])]),
  );
}

/**
 * Record lines of a run in the Python exprag's shape, as serde_json writes
 * them: keys sorted at every level, `exprag_version` present (the Python
 * package's), `+00:00` nanosecond timestamps.
 */
export function pythonRecorder(
  id: string,
  name: string,
  t0: Date,
): Recorder {
  return (kind, value, ms, note) =>
    formatRecord({
      schema_version: 1,
      exprag_version: PYTHON_EXPRAG_VERSION,
      run_id: id,
      experiment_name: name,
      kind,
      value: sortedDeep(value),
      created_at: pyTime(new Date(t0.getTime() + ms), ms),
      elapsed_ms: ms,
      note,
    }, { keyOrder: "sorted" });
}

/** Record lines of a run in our shape (docs/design.md). */
export function denoRecorder(id: string, name: string, t0: Date): Recorder {
  return (kind, value, ms, note) =>
    formatRecord({
      schema_version: SCHEMA_VERSION,
      exprag_version: EXPRAG_VERSION,
      run_id: id,
      experiment_name: name,
      kind,
      created_at: new Date(t0.getTime() + ms).toISOString(),
      elapsed_ms: ms,
      note,
      value,
    });
}

/** The first fields of a fixture run_end value: status, exit code, track count, duration. */
export function runEndValue(
  status: "finished" | "failed" | "interrupted",
  trackCount: number,
  durationMs: number,
): Record<string, unknown> {
  return {
    status,
    exit_code: status === "finished" ? 0 : status === "failed" ? 1 : 130,
    track_count: trackCount,
    duration_ms: durationMs,
  };
}

/**
 * The track lines of a fixture run, each at its `ms` (default 10 × its
 * position, from 1), with the summary of their values and the last one's time
 * (0 without tracks).
 */
export function trackLines(
  rec: Recorder,
  tracks: readonly (Track & { ms?: number })[] = [],
): { lines: string[]; summary: SummaryBuilder; last: number } {
  const lines: string[] = [];
  const summary = new SummaryBuilder();
  let last = 0;
  tracks.forEach((t, i) => {
    last = t.ms ?? 10 * (i + 1);
    summary.add(t.value, last);
    lines.push(rec("track", t.value, last, t.note));
  });
  return { lines, summary, last };
}

/** Writes record lines (one a line) and then the raw `tail` text as a run file. */
export function writeRunFile(path: string, lines: string[], tail = ""): void {
  Deno.writeTextFileSync(path, lines.map((l) => l + "\n").join("") + tail);
}

/**
 * Writes a run in the Python exprag's exact shape: serde_json's sorted keys,
 * `+00:00` nanosecond timestamps, its own `exprag_version`, no `run_end`.
 */
export function writePythonRun(dir: string, r: Run): string {
  const id = r.id ?? crypto.randomUUID();
  const rec = pythonRecorder(id, r.name ?? "python experiment", startOf(r));
  const start: Record<string, unknown> = {
    git: r.git === undefined
      ? {
        branch: "main",
        commit: "0123456789abcdef0123456789abcdef01234567",
        dirty: false,
      }
      : r.git,
    host: {
      arch: "x86_64",
      cpu_count: 2,
      hostname: "py-host-elsewhere",
      os: "linux",
      username: "me",
    },
    process: { argv: ["python", "train.py"], cwd: "/work", pid: 4242, ppid: 1 },
  };
  if (r.metadata !== undefined) start.metadata = r.metadata;
  const lines = [
    rec("run_start", start, 0),
    ...trackLines(rec, r.tracks).lines,
  ];
  writeRunFile(join(dir, "runs", r.file ?? `${id}.jsonl`), lines, r.tail);
  return id;
}

/**
 * The `host`, `process` and `runtime` of a fixture run_start in our shape: a
 * Linux machine with the given host name, pid and kernel release.
 */
export function denoMachine(
  o: { hostname: string; pid: number; osRelease: string },
): {
  host: Record<string, unknown>;
  process: Record<string, unknown>;
  runtime: Record<string, unknown>;
} {
  return {
    host: {
      hostname: o.hostname,
      os: "linux",
      arch: "x86_64",
      username: "me",
      cpu_count: 2,
      os_release: o.osRelease,
      boot_id: null,
    },
    process: {
      pid: o.pid,
      ppid: 1,
      cwd: "/work",
      argv: ["deno", "train.ts"],
      start_ticks: null,
      exec_path: "deno",
    },
    runtime: { deno: "2.9.6", v8: "x", typescript: "y" },
  };
}

/** Writes a run in our shape (docs/design.md), with a run_end summary when ended. */
export function writeDenoRun(dir: string, r: Run): string {
  const id = r.id ?? crypto.randomUUID();
  const rec = denoRecorder(id, r.name ?? "deno experiment", startOf(r));
  const start: Record<string, unknown> = {
    git: r.git === undefined ? null : r.git,
    ...denoMachine({
      hostname: "deno-host-elsewhere",
      pid: 4243,
      osRelease: "6",
    }),
  };
  if (r.metadata !== undefined) start.metadata = r.metadata;
  const { lines: tracks, summary, last } = trackLines(rec, r.tracks);
  const lines = [rec("run_start", start, 0), ...tracks];
  if (r.end !== undefined) {
    const end = runEndValue(r.end, (r.tracks ?? []).length, last + 1);
    end.summary = summary.toJSON();
    end.summary_truncated = false;
    if (r.end === "failed") {
      end.error = {
        name: "Error",
        message: "boom",
        stack: "Error: boom\n    at x",
      };
    }
    lines.push(rec("run_end", end, last + 1));
  }
  writeRunFile(join(dir, "runs", r.file ?? `${id}.jsonl`), lines, r.tail);
  return id;
}

/**
 * Writes a run in our shape (finished unless `run.end` says otherwise) that
 * recorded `repo` as it is now ({@linkcode gitState}: a snapshot on
 * `run/<id>` when dirty); returns that git state.
 */
export function writeRepoRun(
  repo: string,
  run: Run & { id: string; dir: string },
): Record<string, unknown> {
  const { dir, ...rest } = run;
  const state = gitState(repo, run.id);
  writeDenoRun(dir, { end: "finished", ...rest, git: state });
  return state;
}

/** Metrics history as in the seed README's example loop. */
export function history(
  steps: number,
  accStart: number,
  accStep: number,
): Track[] {
  return Array.from({ length: steps }, (_, step) => ({
    value: {
      step,
      metrics: { loss: 1 / (step + 1), acc: accStart + step * accStep },
    },
    note: "training metrics after each step",
  }));
}

/**
 * Runs cli.ts as a real subprocess with exactly the given permission flags
 * (`--no-prompt --no-config` always), from `cwd`.
 */
export function cli(
  cwd: string,
  flags: string[],
  args: string[],
  env?: Record<string, string>,
): Promise<Output> {
  return run(Deno.execPath(), denoRunArgs(flags, CLI_URL, args), { cwd, env });
}

/** Parses a tab-separated table (first section) into header and rows. */
export function parseTable(
  text: string,
): { header: string[]; rows: string[][] } {
  const section = text.split("\n\n")[0];
  const lines = section.split("\n").filter((l) => l !== "");
  return {
    header: lines[0]?.split("\t") ?? [],
    rows: lines.slice(1).map((l) => l.split("\t")),
  };
}

/** Rows of a table as objects keyed by the header. */
export function tableObjects(text: string): Record<string, string>[] {
  const { header, rows } = parseTable(text);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

/**
 * Makes a snapshot-like commit of the current worktree (tracked edits and
 * untracked files, excluding `.exprag`) on `refs/heads/run/<id>`, with HEAD
 * as parent, leaving HEAD, index and worktree untouched (as the tracker
 * does). Returns the commit.
 */
export function snapshot(repo: string, id: string): string {
  const index = join(tempDir("exprag-index-"), "index");
  Deno.copyFileSync(join(repo, ".git", "index"), index);
  const env = { ...GIT_ENV, GIT_INDEX_FILE: index };
  const g = (...args: string[]) => {
    const out = new Deno.Command("git", {
      args,
      cwd: repo,
      env,
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    if (!out.success) {
      throw new Error(
        `git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    return new TextDecoder().decode(out.stdout).trim();
  };
  g("add", "-A", "--", ":/");
  g("rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", ":/.exprag");
  const tree = g("write-tree");
  const head = g("rev-parse", "HEAD");
  const commit = g(
    "commit-tree",
    tree,
    "-p",
    head,
    "-m",
    `exprag snapshot ${id}`,
  );
  g("update-ref", `refs/heads/run/${id}`, commit);
  return commit;
}

/** The git state a run records for the repository as it is now (snapshot when dirty). */
export function gitState(repo: string, id: string): Record<string, unknown> {
  const status = git(
    repo,
    "status",
    "--porcelain",
    "--",
    ":(top)",
    ":(exclude,top).exprag",
  );
  const head = git(repo, "rev-parse", "HEAD");
  const branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD");
  const dirty = status !== "";
  return {
    commit: dirty ? snapshot(repo, id) : head,
    branch: dirty ? `run/${id}` : branch,
    dirty,
    head,
    head_branch: branch,
    status,
    status_truncated: false,
    mode: "snapshot",
    toplevel: repo,
    exprag_dir: ".exprag",
    skipped: [],
  };
}

/** Options git may receive from the CLI (all fixed strings, none from records). */
export const ALLOWED_GIT_OPTIONS: ReadonlySet<string> = new Set([
  "--verify",
  "--quiet",
  "--end-of-options",
  "--show-toplevel",
  "--branch",
  "--detach",
  "--porcelain",
  "-z",
  "--untracked-files=normal",
  "--no-color",
  "--no-ext-diff",
  "--no-textconv",
  "--stat",
  "--",
  "----",
  "-q",
  "--short",
  // exprag's fixed config on every git call: -c core.hooksPath=/dev/null
  // -c core.fsmonitor=false (src/git/run.ts)
  "-c",
  // checkout's check for ignored files it would overwrite or delete
  "--name-only",
  "--no-renames",
  "--diff-filter=A",
  "--diff-filter=ADT",
  "--others",
  "--ignored",
  "--exclude-standard",
  "--full-name",
  "--directory",
  "-r",
  "--full-tree",
]);

/** Id of the clean run of {@linkcode twoRunRepo}. */
export const RUN_A = "aaaaaaaa-0000-4000-8000-00000000000a";
/** Id of the dirty run of {@linkcode twoRunRepo}. */
export const RUN_B = "bbbbbbbb-0000-4000-8000-00000000000b";

/** Options of {@linkcode twoRunRepo}. */
export interface TwoRunOptions {
  /** Ids of the clean and the dirty run (default `RUN_A`, `RUN_B`). */
  ids?: [string, string];
  /** Tracks of each run (default 3). */
  steps?: number;
  /** More files of the initial commit. */
  files?: Record<string, string>;
  /** Metadata of the clean and the dirty run. */
  metadata?: [unknown, unknown];
  /** More changes to the worktree before the dirty run starts. */
  change?: (repo: string) => void;
}

/**
 * A repository (`train.ts`, `.exprag/` ignored) with run A, clean at the
 * initial commit, two days ago, and run B, dirty (`lr = 0.03`: a snapshot on
 * run/B), a day ago; both finished, with metrics histories.
 */
export function twoRunRepo(
  options: TwoRunOptions = {},
): { repo: string; dir: string; head: string; snap: string } {
  const [a, b] = options.ids ?? [RUN_A, RUN_B];
  const steps = options.steps ?? 3;
  const repo = makeRepo({
    "train.ts": "const lr = 0.1;\n",
    ".gitignore": ".exprag/\n",
    ...options.files,
  });
  const dir = makeExprag(repo);
  const head = git(repo, "rev-parse", "HEAD");
  writeRepoRun(repo, {
    dir,
    id: a,
    daysAgo: 2,
    tracks: history(steps, 0.5, 0.1),
    metadata: options.metadata?.[0],
  });
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 0.03;\n");
  options.change?.(repo);
  const state = writeRepoRun(repo, {
    dir,
    id: b,
    daysAgo: 1,
    tracks: history(steps, 0.6, 0.1),
    metadata: options.metadata?.[1],
  });
  return { repo, dir, head, snap: state.commit as string };
}

/** Asserts that stderr is one line starting with `exprag: ` and returns it. */
export function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  equal(lines.length, 1, stderr);
  match(lines[0], /^exprag: /);
  return lines[0];
}
