// The records an Experiment writes (docs/design.md), checked against a
// schema, in real subprocesses; plus locking, concurrency, write failures
// and argv redaction.
import assert from "node:assert/strict";
import { join } from "node:path";
import { SummaryBuilder } from "../src/summary.ts";
import { Experiment } from "../src/tracker/experiment.ts";
import { isSecretName, redactArgv } from "../src/tracker/capture/process.ts";
import {
  git,
  IMPORT_TRACKER,
  makeRepo,
  readJsonl,
  run,
  runFiles,
  runScript,
  tempDir,
} from "./_helpers.ts";

type Rec = Record<string, unknown> & { value: Record<string, unknown> };

// ---------------------------------------------------------------- schema ---

const UUID4 =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`schema: ${what}`);
}

function keysAre(o: Record<string, unknown>, keys: string[], what: string) {
  assert.deepEqual(Object.keys(o), keys, `${what}: keys and their order`);
}

function strOrNull(v: unknown): boolean {
  return v === null || typeof v === "string";
}

function isNumOrSpecial(v: unknown): boolean {
  return (typeof v === "number" && Number.isFinite(v)) ||
    v === "NaN" || v === "Infinity" || v === "-Infinity";
}

/** Validates one record against docs/design.md; returns its kind. */
function validate(rec: Record<string, unknown>, runId?: string): string {
  const keys = [
    "schema_version",
    "exprag_version",
    "run_id",
    "experiment_name",
    "kind",
    "created_at",
    "elapsed_ms",
    ...("note" in rec ? ["note"] : []),
    "value",
  ];
  keysAre(rec, keys, "record");
  check(rec.schema_version === 1, "schema_version is 1");
  check(typeof rec.exprag_version === "string", "exprag_version string");
  check(UUID4.test(String(rec.run_id)), "run_id is a UUID v4");
  if (runId) check(rec.run_id === runId, "run_id is the file's");
  check(
    typeof rec.experiment_name === "string" && rec.experiment_name !== "",
    "experiment_name",
  );
  check(
    ISO.test(String(rec.created_at)) &&
      !Number.isNaN(Date.parse(String(rec.created_at))),
    "created_at RFC 3339 UTC",
  );
  check(
    Number.isSafeInteger(rec.elapsed_ms) && (rec.elapsed_ms as number) >= 0,
    "elapsed_ms integer",
  );
  if ("note" in rec) check(typeof rec.note === "string", "note string");
  const v = rec.value;
  switch (rec.kind) {
    case "run_start":
      check(isObj(v), "run_start.value object");
      validateStart(v as Record<string, unknown>);
      break;
    case "track":
      break;
    case "run_end":
      check(isObj(v), "run_end.value object");
      validateEnd(v as Record<string, unknown>);
      break;
    default:
      throw new Error(`schema: unknown kind ${rec.kind}`);
  }
  return rec.kind as string;
}

function validateStart(v: Record<string, unknown>): void {
  keysAre(v, [
    "git",
    "host",
    "process",
    "runtime",
    ...("metadata" in v ? ["metadata"] : []),
    "unavailable",
  ], "run_start.value");
  const un = v.unavailable as Record<string, unknown>;
  check(isObj(un), "unavailable object");
  for (const [k, why] of Object.entries(un)) {
    check(typeof why === "string" && why !== "", `unavailable.${k} reason`);
  }
  if (v.git === null) check(typeof un.git === "string", "git null has reason");
  else {
    const g = v.git as Record<string, unknown>;
    check(isObj(g), "git object");
    keysAre(g, [
      "commit",
      "branch",
      "tree",
      "dirty",
      "head",
      "head_branch",
      "status",
      "status_truncated",
      "mode",
      "toplevel",
      "exprag_dir",
      "skipped",
    ], "git");
    check(strOrNull(g.commit) && strOrNull(g.branch), "git commit/branch");
    check(strOrNull(g.tree), "git.tree");
    check(typeof g.dirty === "boolean", "git.dirty");
    check(strOrNull(g.head) && strOrNull(g.head_branch), "git head");
    check(typeof g.status === "string", "git.status string");
    check(typeof g.status_truncated === "boolean", "git.status_truncated");
    check(g.mode === "snapshot" || g.mode === "state", "git.mode");
    check(typeof g.toplevel === "string", "git.toplevel");
    check(strOrNull(g.exprag_dir), "git.exprag_dir");
    check(Array.isArray(g.skipped), "git.skipped");
  }
  const host = v.host as Record<string, unknown>;
  keysAre(host, [
    "hostname",
    "os",
    "arch",
    "username",
    "cpu_count",
    "os_release",
    "boot_id",
  ], "host");
  check(typeof host.os === "string" && typeof host.arch === "string", "os");
  check(
    host.cpu_count === null || Number.isInteger(host.cpu_count),
    "cpu_count",
  );
  for (const k of ["hostname", "username", "os_release", "boot_id"]) {
    check(strOrNull(host[k]), `host.${k}`);
  }
  for (const [k, x] of Object.entries(host)) {
    if (x === null) check(`host.${k}` in un, `host.${k} null has a reason`);
  }
  const proc = v.process as Record<string, unknown>;
  keysAre(proc, [
    "pid",
    "ppid",
    "cwd",
    "argv",
    "start_ticks",
    "exec_path",
  ], "process");
  check(Number.isInteger(proc.pid), "pid");
  check(proc.ppid === null || Number.isInteger(proc.ppid), "ppid");
  check(strOrNull(proc.cwd) && strOrNull(proc.exec_path), "cwd/exec_path");
  check(
    Array.isArray(proc.argv) &&
      (proc.argv as unknown[]).every((a) => typeof a === "string"),
    "argv",
  );
  check(
    proc.start_ticks === null || Number.isInteger(proc.start_ticks),
    "start_ticks",
  );
  for (const [k, x] of Object.entries(proc)) {
    if (x === null) {
      check(`process.${k}` in un, `process.${k} null has a reason`);
    }
  }
  const rt = v.runtime as Record<string, unknown>;
  keysAre(rt, ["deno", "v8", "typescript"], "runtime");
  for (const k of ["deno", "v8", "typescript"]) {
    check(typeof rt[k] === "string", `runtime.${k}`);
  }
}

function validateEnd(v: Record<string, unknown>): void {
  keysAre(v, [
    "status",
    "exit_code",
    ...("error" in v ? ["error"] : []),
    ...("signal" in v ? ["signal"] : []),
    "track_count",
    "duration_ms",
    "summary",
    "summary_truncated",
  ], "run_end.value");
  check(
    ["finished", "failed", "interrupted"].includes(v.status as string),
    "status",
  );
  check(v.exit_code === null || Number.isInteger(v.exit_code), "exit_code");
  if ("error" in v) {
    const e = v.error as Record<string, unknown>;
    keysAre(e, ["name", "message", "stack"], "error");
    check(typeof e.name === "string" && typeof e.message === "string", "error");
    check(strOrNull(e.stack), "error.stack");
  }
  if ("signal" in v) {
    check(v.signal === "SIGINT" || v.signal === "SIGTERM", "signal");
  }
  check(Number.isSafeInteger(v.track_count), "track_count");
  check(Number.isSafeInteger(v.duration_ms), "duration_ms");
  check(typeof v.summary_truncated === "boolean", "summary_truncated");
  check(isObj(v.summary), "summary object");
  for (const [path, s] of Object.entries(v.summary as object)) {
    check(path.startsWith("value"), `summary path ${path}`);
    keysAre(s, [
      "count",
      "first",
      "last",
      "min",
      "max",
      "sum",
      "nan",
      "first_ms",
      "last_ms",
    ], `summary ${path}`);
    check(Number.isInteger(s.count) && s.count > 0, "count");
    check(isNumOrSpecial(s.first) && isNumOrSpecial(s.last), "first/last");
    check(s.min === null || isNumOrSpecial(s.min), "min");
    check(s.max === null || isNumOrSpecial(s.max), "max");
    check(isNumOrSpecial(s.sum), "sum");
    check(Number.isInteger(s.nan), "nan");
  }
}

/** Validates a whole run file: order of kinds, one run id, monotonic time. */
function validateRun(recs: Record<string, unknown>[]): void {
  check(recs.length > 0, "non-empty run");
  const runId = recs[0].run_id as string;
  const kinds = recs.map((r) => validate(r, runId));
  check(kinds[0] === "run_start", "starts with run_start");
  check(
    kinds.slice(1).every((k, i) =>
      k === "track" || (k === "run_end" && i === kinds.length - 2)
    ),
    "tracks, then at most one run_end at the end",
  );
  for (let i = 1; i < recs.length; i++) {
    check(
      (recs[i].elapsed_ms as number) >= (recs[i - 1].elapsed_ms as number),
      "elapsed_ms never decreases",
    );
  }
  const end = recs.at(-1)!;
  if (end.kind === "run_end") {
    const v = end.value as Record<string, unknown>;
    check(v.track_count === kinds.length - 2, "track_count counts tracks");
    check(v.duration_ms === end.elapsed_ms, "duration_ms is elapsed_ms");
  }
}

// ----------------------------------------------------------------- tests ---

Deno.test("a full run's records follow the schema, with every run_start field under -A", async () => {
  const repo = makeRepo({ "train.ts": "// code\n" });
  const out = await runScript(
    repo,
    IMPORT_TRACKER + `const exp = new Experiment("training my neural network", {
  metadata: { hparams: { learning_rate: 0.03, batch_size: 32 } },
});
for (let step = 0; step < 5; step++) {
  exp.track({ step, metrics: { loss: 1 / (step + 1), acc: 0.6 + step * 0.05 } },
    step % 2 ? { note: "training metrics after each step" } : undefined);
}
console.log(JSON.stringify({ runId: exp.runId, path: exp.path, name: exp.name }));
exp.end();`,
    ["-A"],
    { env: { USER: "tester" } },
  );
  assert.equal(out.code, 0, out.stderr);
  const info = JSON.parse(out.stdout);
  assert.match(info.runId, UUID4);
  assert.equal(info.path, join(repo, ".exprag", "runs", `${info.runId}.jsonl`));
  assert.equal(info.name, "training my neural network");
  assert.deepEqual(runFiles(join(repo, ".exprag")), [info.path]);
  const recs = readJsonl(info.path);
  validateRun(recs);
  assert.deepEqual(recs.map((r) => r.kind), [
    "run_start",
    ...Array(5).fill("track"),
    "run_end",
  ]);
  const start = recs[0] as Rec;
  assert.equal(start.elapsed_ms, 0);
  assert.deepEqual(start.value.metadata, {
    hparams: { learning_rate: 0.03, batch_size: 32 },
  });
  // Everything is readable under -A except what the platform lacks.
  const host = start.value.host as Record<string, unknown>;
  const proc = start.value.process as Record<string, unknown>;
  assert.equal(host.username, "tester");
  assert.equal(host.hostname, Deno.hostname());
  assert.equal(host.os, Deno.build.os);
  assert.equal(host.cpu_count, navigator.hardwareConcurrency);
  assert.equal(proc.cwd, repo);
  assert.equal(proc.exec_path, Deno.execPath());
  if (Deno.build.os === "linux") {
    assert.match(String(host.boot_id), UUID4);
    assert.equal(
      host.boot_id,
      Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim(),
    );
    assert.ok(Number.isInteger(proc.start_ticks));
  }
  assert.deepEqual(start.value.runtime, { ...Deno.version });
  // A clean repository: its HEAD, branch main, not dirty.
  const g = start.value.git as Record<string, unknown>;
  assert.equal(g.commit, git(repo, "rev-parse", "HEAD"));
  assert.equal(g.dirty, false);
  assert.equal(g.branch, "main");
  assert.deepEqual(start.value.unavailable, {});
  // Track records: the note only when given.
  assert.deepEqual(recs.slice(1, 6).map((r) => "note" in r), [
    false,
    true,
    false,
    true,
    false,
  ]);
  assert.equal(recs[2].note, "training metrics after each step");
  assert.deepEqual(recs[3].value, {
    step: 2,
    metrics: { loss: 1 / 3, acc: 0.6 + 2 * 0.05 },
  });
  const end = recs[6] as Rec;
  assert.equal(end.value.status, "finished");
  assert.equal(end.value.track_count, 5);
});

Deno.test("run_end.summary equals the statistics of a full scan of the track records", async () => {
  const cwd = tempDir();
  const out = await runScript(
    cwd,
    IMPORT_TRACKER + `const exp = new Experiment("s", { git: false });
for (let i = 0; i < 300; i++) {
  exp.track({
    step: i,
    loss: i % 50 === 7 ? NaN : 1 / (i + 1),
    hist: [i, -i, i % 3 === 0 ? Infinity : 0.5],
    tag: "x" + (i % 4),
    big: BigInt(i) * 3n,
    m: new Map([["a", i / 2]]),
    nested: { deep: { v: i % 10 === 0 ? "NaN" : i } },
  });
  if (i % 100 === 0) await new Promise((r) => setTimeout(r, 3));
}
exp.end();`,
    ["--allow-write=.exprag"],
  );
  assert.equal(out.code, 0, out.stderr);
  const [file] = runFiles(join(cwd, ".exprag"));
  const recs = readJsonl(file);
  validateRun(recs);
  const scan = new SummaryBuilder();
  for (const r of recs) {
    if (r.kind === "track") scan.add(r.value, r.elapsed_ms as number);
  }
  const end = recs.at(-1) as Rec;
  assert.deepEqual(
    end.value.summary,
    JSON.parse(JSON.stringify(scan.toJSON())),
  );
  assert.equal(end.value.summary_truncated, false);
  const loss = (end.value.summary as Record<string, Record<string, unknown>>)[
    "value.loss"
  ];
  assert.equal(loss.nan, 6);
});

Deno.test("track() writes every documented encoding into the file", async () => {
  const cwd = tempDir();
  const out = await runScript(
    cwd,
    IMPORT_TRACKER + `const exp = new Experiment("enc", { git: false });
exp.track({
  nan: NaN, inf: Infinity, ninf: -Infinity,
  f32: new Float32Array([0.5, NaN]), set: new Set([1, 2]),
  map: new Map([["a", 1], [2, "b"]]), date: new Date(Date.UTC(2020, 1, 3)),
  big: 12n, huge: 2n ** 70n, err: new TypeError("bad"),
  json: { toJSON: () => "custom" }, undef: undefined, arr: [undefined, 1],
});
exp.track(undefined);
exp.track(NaN, { note: "a bare number" });
exp.end();`,
    ["--allow-write=.exprag"],
  );
  assert.equal(out.code, 0, out.stderr);
  const recs = readJsonl(runFiles(join(cwd, ".exprag"))[0]);
  validateRun(recs);
  const v = recs[1].value as Record<string, unknown>;
  assert.equal(v.nan, "NaN");
  assert.equal(v.inf, "Infinity");
  assert.equal(v.ninf, "-Infinity");
  assert.deepEqual(v.f32, [0.5, "NaN"]);
  assert.deepEqual(v.set, [1, 2]);
  assert.deepEqual(v.map, { a: 1, "2": "b" });
  assert.equal(v.date, "2020-02-03T00:00:00.000Z");
  assert.equal(v.big, 12);
  assert.equal(v.huge, "1180591620717411303424");
  const err = v.err as Record<string, unknown>;
  assert.equal(err.name, "TypeError");
  assert.equal(err.message, "bad");
  assert.match(String(err.stack), /TypeError: bad/);
  assert.equal(v.json, "custom");
  assert.ok(!("undef" in v));
  assert.deepEqual(v.arr, [null, 1]);
  assert.equal(recs[2].value, null);
  assert.equal(recs[3].value, "NaN");
  assert.equal(recs[3].note, "a bare number");
});

Deno.test("run_start.metadata is present only when given, and encoded like track values", async () => {
  const cwd = tempDir();
  const out = await runScript(
    cwd,
    IMPORT_TRACKER + `new Experiment("a", { git: false }).end();
new Experiment("b", { git: false, metadata: { lr: NaN, tags: new Set(["x"]) } }).end();
new Experiment("c", { git: false, metadata: null }).end();
try { const m = {}; m.self = m; new Experiment("d", { git: false, metadata: m }); }
catch (e) { console.log(e.name + ": " + e.message); }`,
    ["--allow-write=.exprag"],
  );
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /TypeError: cannot encode metadata\.self: circular/);
  const starts = Object.fromEntries(
    runFiles(join(cwd, ".exprag")).map((f) => {
      const recs = readJsonl(f);
      validateRun(recs);
      return [
        recs[0].experiment_name,
        recs[0].value as Record<string, unknown>,
      ];
    }),
  );
  assert.deepEqual(Object.keys(starts).sort(), ["a", "b", "c"]);
  assert.ok(!("metadata" in starts.a));
  assert.deepEqual(starts.b.metadata, { lr: "NaN", tags: ["x"] });
  assert.equal(starts.c.metadata, null);
});

Deno.test("a blank name or invalid options throw a TypeError and create no run", () => {
  const dir = tempDir();
  for (const name of ["", "   ", undefined, 3]) {
    assert.throws(
      () => new Experiment(name as string, { dir, git: false }),
      TypeError,
    );
  }
  assert.throws(
    () => new Experiment("x", { dir, git: "yes" as unknown as false }),
    /options\.git/,
  );
  assert.throws(
    () => new Experiment("x", { dir, git: false, snapshotMaxFileBytes: -1 }),
    TypeError,
  );
  assert.throws(() => new Experiment("x", { dir: "" }), TypeError);
  assert.deepEqual(runFiles(dir), []);
});

Deno.test("the run file is exclusively locked until end(); track() after end() throws", () => {
  const dir = tempDir();
  const exp = new Experiment("lock", { dir, git: false });
  try {
    exp.track({ a: 1 });
    const probe = Deno.openSync(exp.path, { read: true });
    try {
      assert.equal(probe.tryLockSync(false), false, "locked while open");
      exp.end();
      assert.equal(probe.tryLockSync(false), true, "free after end()");
      probe.unlockSync();
    } finally {
      probe.close();
    }
    assert.throws(() => exp.track({ a: 2 }), /has ended/);
    exp.end(); // idempotent
    const recs = readJsonl(exp.path);
    validateRun(recs);
    assert.equal(recs.length, 3);
  } finally {
    exp.end();
  }
});

Deno.test("track() rejects a non-string note and writes nothing", () => {
  const dir = tempDir();
  using exp = new Experiment("note", { dir, git: false });
  assert.throws(
    () => exp.track({ a: 1 }, { note: 5 as unknown as string }),
    TypeError,
  );
  exp.track({ a: 1 }, { note: 'quotes " and \\ and \u2028 and emoji 🎉' });
  exp.end();
  const recs = readJsonl(exp.path);
  assert.equal(recs.length, 3);
  assert.equal(recs[1].note, 'quotes " and \\ and \u2028 and emoji 🎉');
});

Deno.test("large values and non-ASCII text are written whole, one line each", () => {
  const dir = tempDir();
  using exp = new Experiment("big", { dir, git: false });
  const big = {
    text: "é€𝄞".repeat(50_000),
    arr: Array.from({ length: 20_000 }, (_, i) => i),
  };
  exp.track({ small: 1 });
  exp.track(big);
  exp.track({ small: 2 }, { note: "ü".repeat(5000) });
  exp.end();
  const recs = readJsonl(exp.path);
  validateRun(recs);
  assert.deepEqual(recs[2].value, big);
  assert.equal(recs[3].note, "ü".repeat(5000));
});

Deno.test("many processes write runs into one directory concurrently without losing or tearing records", async () => {
  const cwd = tempDir();
  const code = IMPORT_TRACKER +
    `const a = new Experiment("proc-" + Deno.args[0], { git: false });
const b = new Experiment("proc-" + Deno.args[0] + "-b", { git: false });
for (let i = 0; i < 400; i++) {
  a.track({ i, pad: "p".repeat(i % 97) });
  b.track({ i, proc: Number(Deno.args[0]) });
}
a.end();`;
  const outs = await Promise.all(
    [0, 1, 2, 3, 4, 5].map((n) =>
      runScript(cwd, code, ["--allow-write=.exprag"], { args: [String(n)] })
    ),
  );
  for (const o of outs) assert.equal(o.code, 0, o.stderr);
  const files = runFiles(join(cwd, ".exprag"));
  assert.equal(files.length, 12);
  for (const f of files) {
    const text = Deno.readTextFileSync(f);
    assert.ok(text.endsWith("\n"));
    const recs = readJsonl(f);
    validateRun(recs);
    assert.equal(recs.length, 402);
    assert.deepEqual(
      recs.slice(1, -1).map((r) => (r.value as { i: number }).i),
      Array.from({ length: 400 }, (_, i) => i),
    );
  }
});

Deno.test("a failing write throws an Error naming the file and the cause; earlier records stay intact", async () => {
  const cwd = tempDir();
  const dir = tempDir("exprag-scripts-");
  const file = join(dir, "fill.ts");
  Deno.writeTextFileSync(
    file,
    IMPORT_TRACKER + `const exp = new Experiment("full", { git: false });
let i = 0;
try {
  for (; i < 100000; i++) exp.track({ step: i, pad: "x".repeat(700) });
} catch (e) {
  console.log(JSON.stringify({ i, name: e.name, message: e.message, path: exp.path }));
}`,
  );
  // RLIMIT_FSIZE makes writes past 64 KiB fail with EFBIG ("File too large");
  // SIGXFSZ is ignored so the write returns the error instead of killing.
  const out = await run("bash", [
    "-c",
    `trap '' XFSZ; ulimit -f 64; exec "$0" run --no-prompt --no-config --allow-write=.exprag "$1"`,
    Deno.execPath(),
    file,
  ], { cwd });
  const line = out.stdout.split("\n").find((l) => l.startsWith("{"));
  assert.ok(line, `the error was caught: ${out.stdout} ${out.stderr}`);
  const err = JSON.parse(line);
  assert.equal(err.name, "Error");
  assert.ok(err.message.includes(err.path), "names the file");
  assert.match(err.message, /cannot write to .*: File too large/);
  assert.ok(err.i > 10 && err.i < 100000);
  // Every record before the failure is there and whole; no torn line.
  const text = Deno.readTextFileSync(err.path);
  assert.ok(text.endsWith("}\n"));
  const recs = readJsonl(err.path);
  assert.equal(recs[0].kind, "run_start");
  assert.equal(recs.length, err.i + 1);
  assert.deepEqual(
    recs.slice(1).map((r) => (r.value as { step: number }).step),
    Array.from({ length: err.i }, (_, k) => k),
  );
  // run_end could not be written at exit: reported on stderr, exit code kept.
  assert.equal(out.code, 0);
  assert.match(
    out.stderr,
    /could not record the end of a run: .*File too large/,
  );
});

Deno.test("argv values that look like secrets are redacted in run_start", async () => {
  const cwd = tempDir();
  const out = await runScript(
    cwd,
    IMPORT_TRACKER +
      `const exp = new Experiment("sec", { git: false }); exp.end();`,
    ["--allow-write=.exprag"],
    {
      args: [
        "--lr",
        "0.1",
        "--token",
        "abc123",
        "--api-key=sk-live-1",
        "--password",
        "hunter2",
        "--secret=s3",
        "--client-secret",
        "cs",
        "FOO_TOKEN=xyz",
        "OPENAI_API_KEY=sk-proj",
        "--tokenizer",
        "gpt2",
        "--max-tokens",
        "512",
        "https://user:pw@example.com/x",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
      ],
    },
  );
  assert.equal(out.code, 0, out.stderr);
  const recs = readJsonl(runFiles(join(cwd, ".exprag"))[0]);
  const argv = (recs[0].value as Rec["value"]).process as { argv: string[] };
  assert.deepEqual(argv.argv.slice(2), [
    "--lr",
    "0.1",
    "--token",
    "[redacted]",
    "--api-key=[redacted]",
    "--password",
    "[redacted]",
    "--secret=[redacted]",
    "--client-secret",
    "[redacted]",
    "FOO_TOKEN=[redacted]",
    "OPENAI_API_KEY=[redacted]",
    "--tokenizer",
    "gpt2",
    "--max-tokens",
    "512",
    "https://user:[redacted]@example.com/x",
    "[redacted]",
  ]);
  assert.equal(argv.argv[0], Deno.execPath());
  assert.match(argv.argv[1], /\.ts$/);
  const text = Deno.readTextFileSync(runFiles(join(cwd, ".exprag"))[0]);
  for (const secret of ["abc123", "sk-live-1", "hunter2", "xyz", "sk-proj"]) {
    assert.ok(!text.includes(secret), `${secret} is not in the file`);
  }
});

Deno.test("isSecretName and redactArgv: names and forms", () => {
  for (
    const n of [
      "--token",
      "--api-key",
      "--api_key",
      "--apikey",
      "--password",
      "--secret",
      "HF_TOKEN",
      "db.password",
      "--aws-secret-access-key",
      "--auth",
    ]
  ) {
    assert.ok(isSecretName(n), n);
  }
  for (
    const n of [
      "--tokenizer",
      "--max-tokens",
      "--lr",
      "--keyboard",
      "--monkey",
      "--secretary",
    ]
  ) {
    assert.ok(!isSecretName(n), n);
  }
  assert.deepEqual(redactArgv(["--token", "--verbose"]), [
    "--token",
    "--verbose",
  ]);
  assert.deepEqual(redactArgv(["--token"]), ["--token"]);
  assert.deepEqual(redactArgv(["-", "--", "a=b"]), ["-", "--", "a=b"]);
});

Deno.test("mod.ts exports the tracker, not the encoder's internals", async () => {
  const mod = await import("../mod.ts");
  assert.equal(mod.Experiment, Experiment);
  assert.ok(!("encodeValue" in mod) && !("MAX_DEPTH" in mod));
});
