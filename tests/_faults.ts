// Helpers of the fault-injection and hostile-input suites (tests/faults_*,
// tests/hostile_*, tests/security_test.ts): spawning and killing real Deno
// processes, reading their progress lines, checking run files byte by byte,
// seeded randomness, and generators of hostile run files.
import assert from "node:assert/strict";
import { join } from "node:path";
import { formatRecord } from "../src/record.ts";
import { denoRunArgs, tempDir } from "./_helpers.ts";

export { cli } from "./_cli_fixtures.ts";
export { IMPORT_TRACKER, MOD_URL, TRACKER_URL } from "./_helpers.ts";

/** Whether the suite runs as root (tmpfs mounts, permission bits ignored). */
export const IS_ROOT: boolean = Deno.uid() === 0;

/**
 * Prints a visible line for a case skipped on this machine (the test itself
 * is registered with `ignore`, so `deno test` also lists it as ignored).
 */
export function skipNotice(what: string, why: string): void {
  console.warn(`%cSKIPPED%c ${what}: ${why}`, "color: yellow", "");
}

// ------------------------------------------------------------ randomness

/** A seeded PRNG (mulberry32): same seed, same sequence, on every machine. */
export class Rng {
  #s: number;
  /** @param seed Any 32-bit integer. */
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** One element. */
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The seed of a randomized suite: `EXPRAG_FAULT_SEED` when set, else fixed. */
export function suiteSeed(fallback: number): number {
  const v = Deno.env.get("EXPRAG_FAULT_SEED");
  return v !== undefined && v !== "" ? Number(v) >>> 0 : fallback;
}

/** Runs async tasks with at most `limit` at a time; results in order. */
export async function pool<T>(
  limit: number,
  tasks: (() => Promise<T>)[],
): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, worker),
  );
  return out;
}

// -------------------------------------------------------- child processes

let scratch: string | undefined;

/** Writes a script into a scratch directory (never inside a test repository). */
export function writeScript(code: string, name = "child"): string {
  scratch ??= tempDir("exprag-fault-scripts-");
  const file = join(scratch, `${name}-${crypto.randomUUID()}.ts`);
  Deno.writeTextFileSync(file, code);
  return file;
}

/** Reads a byte stream line by line. */
export class LineReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #buf = "";
  #done = false;
  /** Every byte read so far (for failure messages). */
  all = "";

  /** @param stream The stream (e.g. a child's stdout). */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next complete line (without `\n`), or null at the end of the stream. */
  async line(): Promise<string | null> {
    while (true) {
      const nl = this.#buf.indexOf("\n");
      if (nl >= 0) {
        const l = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        return l;
      }
      if (this.#done) return null;
      const { value, done } = await this.#reader.read();
      if (done) {
        this.#done = true;
        continue;
      }
      const text = this.#decoder.decode(value, { stream: true });
      this.all += text;
      this.#buf += text;
    }
  }

  /** Consumes lines until one satisfies `pred`; returns it (null at the end). */
  async until(pred: (line: string) => boolean): Promise<string | null> {
    while (true) {
      const l = await this.line();
      if (l === null || pred(l)) return l;
    }
  }

  /** Reads the rest of the stream; returns its complete lines. */
  async rest(): Promise<string[]> {
    const lines: string[] = [];
    while (true) {
      const l = await this.line();
      if (l === null) break;
      lines.push(l);
    }
    return lines;
  }
}

/** A running Deno child with its stdout read line by line and its stderr collected. */
export interface Child {
  process: Deno.ChildProcess;
  stdout: LineReader;
  /** Resolves to the whole stderr once the child ends. */
  stderr: Promise<string>;
  /** Sends a signal (ignores a child that is gone already). */
  kill(signal: Deno.Signal): void;
  /** Waits for the end; the rest of stdout is read and returned. */
  wait(): Promise<
    { status: Deno.CommandStatus; rest: string[]; stderr: string }
  >;
}

/**
 * Spawns `deno run --no-prompt --no-config <flags> <script> <args>` from
 * `cwd`, with stdout piped to a line reader and stderr collected.
 */
export function spawnDeno(
  code: string,
  flags: string[],
  options: {
    cwd: string;
    env?: Record<string, string>;
    args?: string[];
    name?: string;
  },
): Child {
  return spawnDenoFile(writeScript(code, options.name), flags, options);
}

/** {@linkcode spawnDeno} for a script file written already. */
export function spawnDenoFile(
  file: string,
  flags: string[],
  options: { cwd: string; env?: Record<string, string>; args?: string[] },
): Child {
  const process = new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(flags, file, options.args),
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new LineReader(process.stdout);
  const stderr = new Response(process.stderr).text();
  return {
    process,
    stdout,
    stderr,
    kill(signal) {
      try {
        process.kill(signal);
      } catch { /* already gone */ }
    },
    async wait() {
      const rest = await stdout.rest();
      const [status, err] = await Promise.all([process.status, stderr]);
      return { status, rest, stderr: err };
    },
  };
}

// ------------------------------------------------------- run file checks

/** A run file split into its complete lines and an optional torn tail. */
export interface ParsedRunFile {
  /** Parsed complete (newline-terminated) lines. */
  records: Record<string, unknown>[];
  /** The bytes after the last newline, when any (a torn final line). */
  torn: string | null;
  /** Size in bytes. */
  size: number;
}

/**
 * Parses a run file strictly: every newline-terminated line must be a JSON
 * object (an assertion failure names the line otherwise); only the bytes
 * after the last newline may be a torn record.
 */
export function parseRunFile(path: string): ParsedRunFile {
  const bytes = Deno.readFileSync(path);
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const parts = text.split("\n");
  const tail = parts.pop()!;
  const records = parts.map((l, i) => {
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (e) {
      assert.fail(
        `${path}:${i + 1}: not JSON (${(e as Error).message}): ${
          l.slice(0, 200)
        }`,
      );
    }
    assert.ok(
      v !== null && typeof v === "object" && !Array.isArray(v),
      `${path}:${i + 1}: not an object`,
    );
    return v as Record<string, unknown>;
  });
  return { records, torn: tail === "" ? null : tail, size: bytes.length };
}

/** The run files of an exprag dir (absolute paths, sorted). */
export function runFilesOf(exprag: string): string[] {
  try {
    return [...Deno.readDirSync(join(exprag, "runs"))]
      .filter((e) => e.name.endsWith(".jsonl"))
      .map((e) => join(exprag, "runs", e.name)).sort();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

// ---------------------------------------------------------- CLI output

/** Lines Deno prints for an uncaught error or a panic. */
const CRASH =
  /(^|\n)\s*at .+[:(].*\d+:\d+\)?$|Uncaught|panicked|RUST_BACKTRACE|Stack trace|^error: /m;

/**
 * Asserts a CLI's stderr holds only one-line messages: `exprag: ...`, or a
 * problem `<file under runsDir>:<line>: <reason>` / `<file>: <reason>` —
 * never a stack trace.
 *
 * @returns The problem lines (without the `exprag:` ones).
 */
export function assertCleanStderr(
  stderr: string,
  runsDir: string | string[],
  what: string,
): string[] {
  const dirs = typeof runsDir === "string" ? [runsDir] : runsDir;
  assert.doesNotMatch(stderr, CRASH, `${what}: a crash on stderr:\n${stderr}`);
  const problems: string[] = [];
  for (const line of stderr.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("exprag: ")) continue;
    assert.ok(
      dirs.some((d) => line.startsWith(d + "/")) &&
        /^[^\n]*?(\.jsonl|[^/]+)(:\d+)?: \S/.test(line),
      `${what}: a stderr line is neither "exprag: ..." nor "file:line: reason": ${
        JSON.stringify(line)
      }\n${stderr}`,
    );
    problems.push(line);
  }
  return problems;
}

// ------------------------------------------------------ git, logged

/**
 * A `git` wrapper first on PATH that logs every argument (one per line,
 * calls separated by `----`) and then runs the real git.
 */
export function loggingGit(): { env: Record<string, string>; log: string } {
  const bin = tempDir("exprag-git-log-");
  const log = join(bin, "args.log");
  const real = new TextDecoder().decode(
    new Deno.Command("sh", { args: ["-c", "command -v git"], stdout: "piped" })
      .outputSync().stdout,
  ).trim();
  Deno.writeTextFileSync(
    join(bin, "git"),
    `#!/bin/sh\n{ echo ----; for a in "$@"; do printf '%s\\n' "$a"; done; } >> '${log}'\nexec '${real}' "$@"\n`,
  );
  Deno.chmodSync(join(bin, "git"), 0o755);
  Deno.writeTextFileSync(log, "");
  return {
    env: { PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
    log,
  };
}

/** The git calls logged by {@linkcode loggingGit}: one argument list per call. */
export function loggedCalls(log: string): string[][] {
  return Deno.readTextFileSync(log).split("----\n").filter((c) => c !== "")
    .map((c) => c.replace(/\n$/, "").split("\n"));
}

/** Whether a path exists (without following a final symlink). */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------- CLI commands

/** One invocation of each CLI command; `A`, `B`, `WT` are placeholders. */
export interface CliCommand {
  args: readonly string[];
  /** Needs a git repository (checkout, diff). */
  git: boolean;
}

/** Every command of the CLI that reads runs, with typical arguments. */
export const CLI_COMMANDS: readonly CliCommand[] = [
  { args: ["runs"], git: false },
  { args: ["show", "A"], git: false },
  { args: ["paths"], git: false },
  { args: ["values", "value.metrics.loss"], git: false },
  { args: ["best", "value.metrics.loss", "--min"], git: false },
  { args: ["compare", "A", "B"], git: false },
  { args: ["git"], git: false },
  { args: ["checkout", "A", "--worktree", "WT"], git: true },
  { args: ["diff", "A", "B"], git: true },
];

/** The arguments of a command with its placeholders filled in. */
export function argsFor(
  cmd: CliCommand,
  fill: { A?: string; B?: string; WT?: string } = {},
): string[] {
  return cmd.args.map((a) =>
    a === "A"
      ? fill.A ?? "latest~1"
      : a === "B"
      ? fill.B ?? "latest"
      : a === "WT"
      ? fill.WT ?? join(tempDir("exprag-wt-"), "wt")
      : a
  );
}

// ------------------------------------------------- hostile run files

/** A record line in our shape, for hand-made run files (any field may be hostile). */
export function recordLine(
  runId: unknown,
  kind: unknown,
  value: unknown,
  extra: Record<string, unknown> = {},
  ms = 0,
): string {
  return formatRecord({
    schema_version: 1,
    exprag_version: "0.1.0",
    run_id: runId,
    experiment_name: "hostile",
    kind,
    created_at: new Date(Date.UTC(2020, 0, 1, 0, 0, 0, ms)).toISOString(),
    elapsed_ms: ms,
    ...extra,
    value,
  });
}

/** A run_start value as our tracker writes it (another host, so never "running"). */
export function startValue(extra: Record<string, unknown> = {}) {
  return {
    git: null,
    host: {
      hostname: "hostile-host",
      os: "linux",
      arch: "x86_64",
      username: null,
      cpu_count: 1,
      os_release: null,
      boot_id: null,
    },
    process: {
      pid: 999999,
      ppid: 1,
      cwd: "/",
      argv: ["deno", "x.ts"],
      start_ticks: null,
      exec_path: "deno",
    },
    runtime: { deno: "2.9.6", v8: "x", typescript: "y" },
    ...extra,
  };
}

/** Track lines of a run: `{ step, metrics: { loss, acc } }`, `n` of them. */
export function trackLines(runId: unknown, n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) =>
    recordLine(
      runId,
      "track",
      {
        step: from + i,
        metrics: { loss: 1 / (from + i + 1), acc: (from + i) / 10 },
      },
      {},
      10 * (from + i + 1),
    ));
}

/** A hostile entry of a runs directory. */
export interface HostileFile {
  /** What it is. */
  name: string;
  /** Its name in the runs directory. */
  entry: string;
  /**
   * Readers that read whole files (`paths`, `values`) report it on stderr
   * as `<runs>/<entry>:<line>: <reason>` (or `<runs>/<entry>: <reason>`).
   */
  reported: boolean;
  /** The run it still holds, answered by `runs` (null: none). */
  run: string | null;
}

/** A run id for hostile file number `n`. */
export function hostileId(n: number): string {
  return `eeeeeeee-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

/**
 * Fills `runs` with hostile entries (files, directories, links, a FIFO, a
 * 100 MB line...). `goodFile` is the path of a valid run file (copied, and
 * linked to from outside). Returns what each entry is.
 */
export function writeHostileFiles(
  runs: string,
  goodFile: string,
  goodId: string,
  options: { huge?: boolean; seed?: number } = {},
): HostileFile[] {
  const out: HostileFile[] = [];
  const enc = new TextEncoder();
  let n = 0;
  const add = (
    name: string,
    entry: string,
    content: string | Uint8Array | null,
    reported: boolean,
    run: string | null,
  ) => {
    if (content !== null) {
      const path = join(runs, entry);
      if (typeof content === "string") Deno.writeTextFileSync(path, content);
      else Deno.writeFileSync(path, content);
    }
    out.push({ name, entry, reported, run });
  };
  const lines = (ls: string[], eol = "\n") => ls.map((l) => l + eol).join("");
  const id = () => hostileId(++n);
  const start = (rid: unknown, extra?: Record<string, unknown>) =>
    recordLine(rid, "run_start", startValue(extra));

  // -- bytes that are not JSONL at all
  const r = new Rng(options.seed ?? 7);
  const garbage = new Uint8Array(64 * 1024).map(() => r.int(0, 255));
  add("binary garbage", "garbage.jsonl", garbage, true, null);
  add(
    "invalid UTF-8 inside records",
    "invalid-utf8.jsonl",
    (() => {
      const rid = id();
      const head = enc.encode(lines([start(rid), ...trackLines(rid, 2)]));
      const bad = enc.encode(recordLine(rid, "track", { s: "XX" }, {}, 40));
      const i = bad.indexOf(88); // "X" → 0xff 0xfe
      bad[i] = 0xff;
      bad[i + 1] = 0xfe;
      const cut = enc.encode(recordLine(rid, "track", { s: "é€" }, {}, 50));
      return new Uint8Array([
        ...head,
        ...bad,
        10,
        ...cut.subarray(0, cut.indexOf(0xe2) + 1), // cut mid-character
        10,
      ]);
    })(),
    true,
    hostileId(n),
  );
  // -- encodings and line endings
  {
    const rid = id();
    add(
      "a UTF-8 BOM",
      "bom.jsonl",
      "\ufeff" + lines([start(rid), ...trackLines(rid, 3)]),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "CRLF line endings",
      "crlf.jsonl",
      lines([start(rid), ...trackLines(rid, 3)], "\r\n"),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "BOM, CRLF and a torn last line",
      "bom-crlf-torn.jsonl",
      "\ufeff" + lines([start(rid), ...trackLines(rid, 3)], "\r\n") +
        trackLines(rid, 1, 3)[0].slice(0, 40),
      true,
      rid,
    );
  }
  // -- lines that are JSON but not records
  {
    const rid = id();
    add(
      "non-object lines",
      "non-object-lines.jsonl",
      lines([
        start(rid),
        "[1,2]",
        '"a string"',
        "42",
        "null",
        "true",
        ...trackLines(rid, 2),
      ]),
      true,
      rid,
    );
  }
  add(
    "first line is an array",
    "first-line-array.jsonl",
    lines([`[${start(id())}]`]),
    true,
    null,
  );
  add(
    "run_start without run_id",
    "no-run-id.jsonl",
    lines([
      JSON.stringify({ ...JSON.parse(start(id())), run_id: undefined }),
    ]),
    true,
    null,
  );
  add(
    "run_id of the wrong type",
    "run-id-number.jsonl",
    lines([start(12345), ...trackLines(12345, 2)]),
    true,
    null,
  );
  add(
    "run_id naming a path outside",
    "run-id-traversal.jsonl",
    lines([start("../../../etc/passwd"), ...trackLines("../../x", 1)]),
    true,
    null,
  );
  add(
    "run_id that is a git option",
    "run-id-option.jsonl",
    lines([start("--upload-pack=touch /tmp/exprag-pwned")]),
    true,
    null,
  );
  {
    const rid = id();
    add(
      "missing and unknown kinds",
      "kinds.jsonl",
      lines([
        start(rid),
        JSON.stringify({
          ...JSON.parse(trackLines(rid, 1)[0]),
          kind: undefined,
        }),
        recordLine(rid, "bogus", { metrics: { loss: -100 } }),
        recordLine(rid, 7, { metrics: { loss: -200 } }),
        recordLine(rid, { kind: "track" }, { metrics: { loss: -300 } }),
        ...trackLines(rid, 2),
      ]),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "created_at of the wrong type and unparsable",
      "created-at.jsonl",
      lines([
        JSON.stringify({ ...JSON.parse(start(rid)), created_at: 12345 }),
        JSON.stringify({
          ...JSON.parse(trackLines(rid, 1)[0]),
          created_at: "yesterday",
        }),
        JSON.stringify({
          ...JSON.parse(trackLines(rid, 1, 1)[0]),
          created_at: null,
        }),
      ]),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "elapsed_ms wrong-typed, negative, overflowing",
      "elapsed.jsonl",
      lines([start(rid)]) +
        lines(
          trackLines(rid, 3).map((l, i) =>
            l.replace(
              /"elapsed_ms":\d+/,
              `"elapsed_ms":${['"soon"', "-5", "1e400"][i]}`,
            )
          ),
        ),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "track without value; numbers that overflow to Infinity",
      "value-missing.jsonl",
      lines([
        start(rid),
        JSON.stringify({
          ...JSON.parse(trackLines(rid, 1)[0]),
          value: undefined,
        }),
        recordLine(rid, "track", { metrics: { loss: 1 } }).replace(
          '"loss":1',
          '"loss":1e400,"acc":-1e400',
        ),
      ]),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "run_start value not an object",
      "start-value.jsonl",
      lines([recordLine(rid, "run_start", "a string"), ...trackLines(rid, 2)]),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "git, host and process fields of the wrong types",
      "wrong-types.jsonl",
      lines([
        recordLine(rid, "run_start", {
          git: { commit: 123, branch: {}, dirty: "yes", head: [], status: 5 },
          host: "not an object",
          process: { pid: "1; rm -rf /", argv: "str", cwd: 7 },
          metadata: [1, 2, 3],
          unavailable: "none",
        }),
        ...trackLines(rid, 2),
      ]),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "run_end of the wrong types",
      "end-types.jsonl",
      lines([
        start(rid),
        ...trackLines(rid, 2),
        recordLine(rid, "run_end", {
          status: 5,
          exit_code: "one",
          track_count: "many",
          duration_ms: "long",
          summary: "not an object",
          error: "boom",
          signal: 9,
        }),
      ]),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "run_end summary full of garbage",
      "summary-garbage.jsonl",
      lines([
        start(rid),
        ...trackLines(rid, 2),
        recordLine(rid, "run_end", {
          status: "finished",
          exit_code: 0,
          track_count: 2,
          duration_ms: 20,
          summary: {
            "value.metrics.loss": {
              count: -1,
              first: {},
              last: "DROP TABLE runs",
              min: [],
              max: null,
              sum: "x",
              nan: "many",
              first_ms: "a",
              last_ms: null,
            },
            "value.metrics.acc": "not stats",
            "__proto__": { count: 1 },
          },
          summary_truncated: "no",
        }),
      ]),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "run_end in the middle, records after it",
      "end-in-middle.jsonl",
      lines([
        start(rid),
        ...trackLines(rid, 1),
        recordLine(rid, "run_end", {
          status: "finished",
          exit_code: 0,
          track_count: 1,
        }),
        ...trackLines(rid, 2, 1),
      ]),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "duplicate run_start",
      "duplicate-start.jsonl",
      lines([
        start(rid),
        ...trackLines(rid, 1),
        start(rid),
        ...trackLines(rid, 1, 1),
      ]),
      true,
      rid,
    );
  }
  {
    const rid = id();
    const other = hostileId(900);
    add(
      "records of another run id inside a file (a second run appended)",
      "two-runs.jsonl",
      lines([
        start(rid),
        ...trackLines(rid, 2),
        start(other),
        ...trackLines(other, 2),
        ...trackLines(goodId, 2, 50),
      ]),
      true,
      rid,
    );
  }
  add(
    "a copy of a good run under another name (duplicate run id)",
    "copy-of-good.jsonl",
    Deno.readFileSync(goodFile),
    true,
    null,
  );
  {
    const rid = id();
    add(
      "file name and run id differ",
      `${hostileId(901)}.jsonl`,
      lines([start(rid), ...trackLines(rid, 2)]),
      false,
      rid,
    );
  }
  add("an empty file", "empty.jsonl", "", true, null);
  add("only blank lines", "blank.jsonl", "\n\n   \n\r\n", true, null);
  add(
    "a torn run_start (cut mid-JSON, no newline)",
    "torn-start.jsonl",
    start(id()).slice(0, 100),
    true,
    null,
  );
  {
    const rid = id();
    add(
      "a file holding only a run_end",
      "only-end.jsonl",
      lines([recordLine(rid, "run_end", { status: "finished" })]),
      true,
      null,
    );
  }
  {
    const rid = id();
    add(
      "schema_version 999 with unknown fields",
      "future.jsonl",
      lines([
        JSON.stringify({
          ...JSON.parse(start(rid)),
          schema_version: 999,
          extra: { x: 1 },
        }),
        JSON.stringify({
          ...JSON.parse(trackLines(rid, 1)[0]),
          schema_version: "2",
        }),
      ]),
      false,
      rid,
    );
  }
  // -- structure attacks
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  const deepObj = '{"a":'.repeat(20_000) + "1" + "}".repeat(20_000);
  {
    const rid = id();
    add(
      "values nested 100,000 levels deep",
      "deep-values.jsonl",
      lines([
        start(rid),
        recordLine(rid, "track", { metrics: "__DEEP__" }, {}, 10).replace(
          '"__DEEP__"',
          deep,
        ),
        recordLine(rid, "track", "__DEEP_OBJ__", {}, 20).replace(
          '"__DEEP_OBJ__"',
          deepObj,
        ),
        ...trackLines(rid, 1, 2),
      ]),
      true,
      rid,
    );
  }
  add(
    "run_start metadata nested 20,000 levels deep",
    "deep-start.jsonl",
    lines([
      recordLine(id(), "run_start", startValue({ metadata: "__DEEP_OBJ__" }))
        .replace('"__DEEP_OBJ__"', deepObj),
    ]),
    true,
    null,
  );
  {
    const rid = id();
    const proto = '{"__proto__":{"polluted":true,"metrics":{"loss":-1}},' +
      '"constructor":{"prototype":{"polluted":true}},"toString":"x","hasOwnProperty":1}';
    add(
      "__proto__, constructor and toString keys everywhere",
      "proto.jsonl",
      lines([
        recordLine(rid, "run_start", startValue({ metadata: "__P__" })).replace(
          '"__P__"',
          proto,
        ),
        recordLine(rid, "track", "__P__", {}, 10).replace('"__P__"', proto),
        recordLine(
          rid,
          "track",
          { metrics: { loss: 0.5, constructor: 1 } },
          {},
          20,
        ),
        recordLine(rid, "run_end", "__P__", {}, 30).replace('"__P__"', proto),
      ]),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "control characters and terminal escapes in every string",
      "escapes.jsonl",
      lines([
        JSON.stringify({
          ...JSON.parse(start(rid)),
          experiment_name:
            "evil\u001b[2J\u001b]0;pwned\u0007\r\nname\u0000\u202e",
        }),
        recordLine(rid, "track", { "k\n\t\u001b[31m": "v\r\n\u0000" }, {
          note: "line1\nline2\u001b[0m",
        }, 10),
        ...trackLines(rid, 1, 1),
      ]),
      false,
      rid,
    );
  }
  {
    const rid = id();
    add(
      "a thousand garbage lines",
      "many-bad-lines.jsonl",
      lines([start(rid), ...Array(1000).fill("}{"), ...trackLines(rid, 1)]),
      true,
      rid,
    );
  }
  add(
    "a file name with a newline and an escape",
    "evil\nname\u001b[31m.jsonl",
    "not json\n",
    true,
    null,
  );
  if (options.huge !== false) {
    const rid = id();
    // one record of 100 MB on a single line
    const f = Deno.openSync(join(runs, "huge-line.jsonl"), {
      write: true,
      create: true,
      truncate: true,
    });
    f.writeSync(enc.encode(start(rid) + "\n"));
    const [pre, post] = recordLine(
      rid,
      "track",
      { blob: "@@", metrics: { loss: 0.25 } },
      {},
      10,
    )
      .split("@@");
    f.writeSync(enc.encode(pre));
    const chunk = enc.encode("x".repeat(1 << 20));
    for (let i = 0; i < 100; i++) f.writeSync(chunk);
    f.writeSync(enc.encode(post + "\n"));
    f.close();
    add("a 100 MB single line", "huge-line.jsonl", null, false, rid);
  }
  // -- entries that are not regular files inside the directory
  Deno.mkdirSync(join(runs, "dir.jsonl"));
  Deno.writeTextFileSync(
    join(runs, "dir.jsonl", "inner.jsonl"),
    start(id()) + "\n",
  );
  add("a directory named x.jsonl", "dir.jsonl", null, true, null);
  const outside = Deno.makeTempDirSync({ prefix: "exprag-outside-" });
  const outsideRun = join(outside, "run.jsonl");
  {
    const rid = id();
    Deno.writeTextFileSync(
      outsideRun,
      lines([start(rid), ...trackLines(rid, 2)]),
    );
    Deno.symlinkSync(outsideRun, join(runs, "outside-link.jsonl"));
    add(
      "a symlink to a run file outside the directory",
      "outside-link.jsonl",
      null,
      true,
      null,
    );
  }
  Deno.symlinkSync(
    "../../../../../../../../etc/passwd",
    join(runs, "passwd.jsonl"),
  );
  add("a relative symlink to /etc/passwd", "passwd.jsonl", null, true, null);
  Deno.symlinkSync("/dev/zero", join(runs, "zero.jsonl"));
  add("a symlink to /dev/zero (endless)", "zero.jsonl", null, true, null);
  Deno.symlinkSync(join(outside, "missing"), join(runs, "broken.jsonl"));
  add("a broken symlink", "broken.jsonl", null, true, null);
  Deno.symlinkSync("loop-b.jsonl", join(runs, "loop-a.jsonl"));
  Deno.symlinkSync("loop-a.jsonl", join(runs, "loop-b.jsonl"));
  add("a symlink loop", "loop-a.jsonl", null, true, null);
  add("a symlink loop (other end)", "loop-b.jsonl", null, true, null);
  Deno.symlinkSync("..", join(runs, "parent.jsonl"));
  add("a symlink to the parent directory", "parent.jsonl", null, true, null);
  new Deno.Command("mkfifo", { args: [join(runs, "fifo.jsonl")] }).outputSync();
  add("a FIFO (a naive reader blocks forever)", "fifo.jsonl", null, true, null);
  if (!IS_ROOT) {
    const rid = id();
    Deno.writeTextFileSync(join(runs, "unreadable.jsonl"), lines([start(rid)]));
    Deno.chmodSync(join(runs, "unreadable.jsonl"), 0o000);
    add("an unreadable file", "unreadable.jsonl", null, true, null);
  }
  return out;
}
