// Every way a run can end, each in a real Deno subprocess.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  IMPORT_TRACKER,
  readJsonl,
  runFiles,
  runScript,
  tempDir,
} from "./_helpers.ts";

const FLAGS = ["--allow-write=.exprag"];

type Rec = Record<string, unknown> & { value: Record<string, unknown> };

/** Runs a script in a fresh dir; returns its output and the runs it wrote. */
async function runCase(code: string, flags = FLAGS) {
  const cwd = tempDir();
  const out = await runScript(cwd, IMPORT_TRACKER + code, flags);
  const runs = runFiles(join(cwd, ".exprag")).map((f) => readJsonl(f) as Rec[]);
  return { ...out, runs, cwd };
}

function only(runs: Rec[][]): Rec[] {
  assert.equal(runs.length, 1, "exactly one run file");
  return runs[0];
}

function runEnd(recs: Rec[]): Record<string, unknown> {
  const ends = recs.filter((r) => r.kind === "run_end");
  assert.equal(ends.length, 1, "exactly one run_end");
  assert.equal(recs.at(-1)!.kind, "run_end", "run_end is the last record");
  return ends[0].value;
}

Deno.test("a run without end() gets run_end finished, exit_code 0, at normal exit", async () => {
  const r = await runCase(
    `const exp = new Experiment("x", { git: false }); exp.track({ loss: 1 });`,
  );
  assert.equal(r.code, 0, r.stderr);
  const end = runEnd(only(r.runs));
  assert.equal(end.status, "finished");
  assert.equal(end.exit_code, 0);
  assert.equal(end.track_count, 1);
  assert.ok(!("error" in end) && !("signal" in end));
});

Deno.test("end() writes run_end once and is idempotent; track() after end() throws", async () => {
  const r = await runCase(`const exp = new Experiment("x", { git: false });
exp.track({ a: 1 });
exp.end();
exp.end();
exp.end({ status: "failed" });
try { exp.track({ a: 2 }); } catch (e) { console.log("track after end:", e.message); }`);
  assert.equal(r.code, 0, r.stderr);
  const recs = only(r.runs);
  const end = runEnd(recs);
  assert.equal(end.status, "finished");
  assert.equal(end.exit_code, null);
  assert.equal(recs.length, 3);
  assert.match(r.stdout, /track after end: .*has ended/);
});

Deno.test("end({ error }) records failed with the error; end({ status }) records the status", async () => {
  const r = await runCase(`const a = new Experiment("a", { git: false });
a.end({ error: new TypeError("bad input") });
const b = new Experiment("b", { git: false });
b.end({ status: "interrupted" });
const c = new Experiment("c", { git: false });
c.end({ status: "failed", error: "plain string" });`);
  assert.equal(r.code, 0, r.stderr);
  const byName = Object.fromEntries(
    r.runs.map((recs) => [recs[0].experiment_name, runEnd(recs)]),
  );
  assert.equal(byName.a.status, "failed");
  const err = byName.a.error as Record<string, unknown>;
  assert.equal(err.name, "TypeError");
  assert.equal(err.message, "bad input");
  assert.match(String(err.stack), /bad input/);
  assert.equal(byName.b.status, "interrupted");
  assert.ok(!("error" in byName.b));
  assert.deepEqual(byName.c.error, {
    name: "Error",
    message: "plain string",
    stack: null,
  });
});

Deno.test("using ends the run when the scope is left", async () => {
  const r = await runCase(`{
  using exp = new Experiment("x", { git: false });
  exp.track({ a: 1 });
}
console.log("after scope");
await new Promise((res) => setTimeout(res, 20));`);
  assert.equal(r.code, 0, r.stderr);
  const end = runEnd(only(r.runs));
  assert.equal(end.status, "finished");
  assert.equal(end.exit_code, null);
});

Deno.test("using: an error leaving the scope turns the run into failed, exit code stays 1", async () => {
  const r = await runCase(`{
  using exp = new Experiment("x", { git: false });
  exp.track({ a: 1 });
  throw new Error("diverged");
}`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /diverged/);
  const end = runEnd(only(r.runs));
  assert.equal(end.status, "failed");
  assert.equal(end.exit_code, 1);
  assert.equal((end.error as Record<string, unknown>).message, "diverged");
});

Deno.test("an error long after end() leaves that run finished", async () => {
  const r = await runCase(`const exp = new Experiment("x", { git: false });
exp.end();
setTimeout(() => { throw new Error("unrelated, later"); }, 200);`);
  assert.equal(r.code, 1);
  const end = runEnd(only(r.runs));
  assert.equal(end.status, "finished");
  assert.ok(!("error" in end));
});

Deno.test("finally { exp.end() } with an escaping error records failed, in a callback too", async () => {
  const r = await runCase(`setTimeout(() => {
  const exp = new Experiment("x", { git: false });
  try {
    exp.track({ a: 1 });
    throw new Error("in callback");
  } finally {
    exp.end();
  }
}, 1);`);
  assert.equal(r.code, 1);
  const end = runEnd(only(r.runs));
  assert.equal(end.status, "failed");
  assert.equal((end.error as Record<string, unknown>).message, "in callback");
});

Deno.test("an error that left a using scope but was then handled (preventDefault) keeps the run finished", async () => {
  const r = await runCase(`addEventListener("error", (e) => e.preventDefault());
setTimeout(() => {
  using exp = new Experiment("x", { git: false });
  exp.track({ a: 1 });
  throw new Error("handled by the app");
}, 1);
setTimeout(() => console.log("alive"), 40);`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /alive/);
  const recs = only(r.runs);
  assert.deepEqual(recs.map((x) => x.kind), ["run_start", "track", "run_end"]);
  const end = runEnd(recs);
  assert.equal(end.status, "finished");
  assert.ok(!("error" in end));
});

Deno.test("Deno.exit(3) records failed with exit_code 3 and keeps the exit code", async () => {
  const r = await runCase(
    `const exp = new Experiment("x", { git: false }); exp.track({ a: 1 }); Deno.exit(3);`,
  );
  assert.equal(r.code, 3);
  const end = runEnd(only(r.runs));
  assert.equal(end.status, "failed");
  assert.equal(end.exit_code, 3);
});

Deno.test("Deno.exit(0) records finished", async () => {
  const r = await runCase(
    `const exp = new Experiment("x", { git: false }); Deno.exit(0);`,
  );
  assert.equal(r.code, 0);
  assert.equal(runEnd(only(r.runs)).status, "finished");
});

Deno.test("a non-zero Deno.exitCode at normal exit records failed with that code", async () => {
  const r = await runCase(
    `const exp = new Experiment("x", { git: false }); Deno.exitCode = 4;`,
  );
  assert.equal(r.code, 4);
  const end = runEnd(only(r.runs));
  assert.equal(end.status, "failed");
  assert.equal(end.exit_code, 4);
});

Deno.test("an uncaught error records failed with the error; Deno still reports it and exits 1", async () => {
  const r = await runCase(`const exp = new Experiment("x", { git: false });
exp.track({ a: 1 });
setTimeout(() => { throw new RangeError("loss exploded"); }, 5);`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Uncaught RangeError: loss exploded/);
  const end = runEnd(only(r.runs));
  assert.equal(end.status, "failed");
  assert.equal(end.exit_code, 1);
  const err = end.error as Record<string, unknown>;
  assert.equal(err.name, "RangeError");
  assert.equal(err.message, "loss exploded");
  assert.match(String(err.stack), /loss exploded/);
});

Deno.test("a top-level throw records failed with the error", async () => {
  const r = await runCase(`const exp = new Experiment("x", { git: false });
exp.track({ a: 1 });
throw new Error("top level");`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /top level/);
  const end = runEnd(only(r.runs));
  assert.equal(end.status, "failed");
  assert.equal((end.error as Record<string, unknown>).message, "top level");
});

Deno.test("an unhandled rejection records failed with the reason and keeps exit code 1", async () => {
  const r = await runCase(`const exp = new Experiment("x", { git: false });
exp.track({ a: 1 });
Promise.reject(new Error("async failure"));`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /async failure/);
  const end = runEnd(only(r.runs));
  assert.equal(end.status, "failed");
  assert.equal(end.exit_code, 1);
  assert.equal((end.error as Record<string, unknown>).message, "async failure");
});

Deno.test("an error handled by the user's listener (preventDefault) does not end the run", async () => {
  const r = await runCase(`const exp = new Experiment("x", { git: false });
exp.track({ a: 1 });
addEventListener("error", (e) => e.preventDefault());
addEventListener("unhandledrejection", (e) => e.preventDefault());
setTimeout(() => { throw new Error("handled"); }, 1);
Promise.reject(new Error("handled too"));
setTimeout(() => { exp.track({ a: 2 }); console.log("still tracking"); }, 30);`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /still tracking/);
  const recs = only(r.runs);
  assert.deepEqual(recs.map((x) => x.kind), [
    "run_start",
    "track",
    "track",
    "run_end",
  ]);
  const end = runEnd(recs);
  assert.equal(end.status, "finished");
  assert.equal(end.track_count, 2);
});

Deno.test("every open run of a process gets its run_end", async () => {
  const r = await runCase(`const a = new Experiment("a", { git: false });
const b = new Experiment("b", { git: false });
a.track({ x: 1 }); b.track({ x: 2 });
Deno.exit(2);`);
  assert.equal(r.code, 2);
  assert.equal(r.runs.length, 2);
  for (const recs of r.runs) {
    const end = runEnd(recs);
    assert.equal(end.status, "failed");
    assert.equal(end.exit_code, 2);
  }
});

/** Starts a script that tracks, prints "ready", and waits to be signalled. */
async function startWaiting(options: string) {
  const cwd = tempDir();
  const dir = tempDir("exprag-scripts-");
  const file = join(dir, "wait.ts");
  Deno.writeTextFileSync(
    file,
    IMPORT_TRACKER + `const exp = new Experiment("x", ${options});
for (let i = 0; i < 3; i++) exp.track({ step: i, loss: 1 / (i + 1) });
setInterval(() => {}, 1000);
console.log("ready");`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-config", ...FLAGS, file],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  let seen = "";
  while (!seen.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  assert.ok(seen.includes("ready"), "child started");
  return { child, cwd };
}

async function finish(child: Deno.ChildProcess) {
  const [status] = await Promise.all([
    child.status,
    child.stdout.cancel(),
    child.stderr.cancel(),
  ]);
  return status;
}

for (
  const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const
) {
  Deno.test(`${signal} with handleSignals records interrupted and exits ${code}`, async () => {
    const { child, cwd } = await startWaiting(
      `{ git: false, handleSignals: true }`,
    );
    child.kill(signal);
    const status = await finish(child);
    assert.equal(status.code, code);
    const recs = only(
      runFiles(join(cwd, ".exprag")).map((f) => readJsonl(f) as Rec[]),
    );
    const end = runEnd(recs);
    assert.equal(end.status, "interrupted");
    assert.equal(end.signal, signal);
    assert.equal(end.exit_code, code);
    assert.equal(end.track_count, 3);
  });
}

Deno.test("SIGINT without handleSignals keeps the default action (no run_end)", async () => {
  const { child, cwd } = await startWaiting(`{ git: false }`);
  child.kill("SIGINT");
  const status = await finish(child);
  assert.equal(status.signal, "SIGINT");
  const recs = only(
    runFiles(join(cwd, ".exprag")).map((f) => readJsonl(f) as Rec[]),
  );
  assert.deepEqual(recs.map((r) => r.kind), [
    "run_start",
    "track",
    "track",
    "track",
  ]);
});

Deno.test("SIGKILL leaves no run_end but a parseable file with every tracked record, and releases the lock", async () => {
  const { child, cwd } = await startWaiting(
    `{ git: false, handleSignals: true }`,
  );
  const [file] = runFiles(join(cwd, ".exprag"));
  // While the process lives, it holds the lock: a reader cannot take it.
  const probe = Deno.openSync(file, { read: true });
  assert.equal(probe.tryLockSync(false), false);
  child.kill("SIGKILL");
  const status = await finish(child);
  assert.equal(status.signal, "SIGKILL");
  const recs = readJsonl(file) as Rec[];
  assert.deepEqual(recs.map((r) => r.kind), [
    "run_start",
    "track",
    "track",
    "track",
  ]);
  assert.ok(Deno.readTextFileSync(file).endsWith("}\n"));
  const proc = recs[0].value.process as Record<string, unknown>;
  assert.equal(typeof proc.pid, "number");
  assert.equal(proc.pid, child.pid);
  // Dead process: the lock is free now (a reader infers "crashed").
  assert.equal(probe.tryLockSync(false), true);
  probe.close();
});
