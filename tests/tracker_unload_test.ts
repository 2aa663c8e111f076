// run_end tells how the process really ended when user unload listeners run
// after exprag's, and the tracker works inside a Worker: real subprocesses.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  IMPORT_TRACKER,
  readJsonl,
  ROOT,
  runFiles,
  runScript,
  tempDir,
  TRACKER_URL,
} from "./_helpers.ts";

type Rec = Record<string, unknown> & { value: Record<string, unknown> };

async function runCase(code: string, flags = ["--allow-write=.exprag"]) {
  const cwd = tempDir();
  const out = await runScript(cwd, IMPORT_TRACKER + code, flags);
  const files = runFiles(join(cwd, ".exprag"));
  assert.equal(files.length, 1, `one run file; stderr: ${out.stderr}`);
  const recs = readJsonl(files[0]) as Rec[];
  const ends = recs.filter((r) => r.kind === "run_end");
  assert.equal(ends.length, 1, "exactly one run_end");
  assert.equal(recs.at(-1)!.kind, "run_end", "run_end is the last record");
  return { ...out, recs, end: ends[0].value };
}

Deno.test("unload: a user listener that calls track() after exprag ended the run is recorded before run_end, which stays true", async () => {
  const r = await runCase(`const exp = new Experiment("x", { git: false });
exp.track({ loss: 1 });
globalThis.addEventListener("unload", () => {
  exp.track({ loss: 0.5 }, { note: "final" });
  console.log("late track ok");
});`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /late track ok/);
  const tracks = r.recs.filter((x) => x.kind === "track");
  assert.deepEqual(tracks.map((t) => t.value), [{ loss: 1 }, { loss: 0.5 }]);
  assert.equal(tracks[1].note, "final");
  assert.equal(r.end.status, "finished");
  assert.equal(r.end.exit_code, r.code);
  assert.equal(r.end.track_count, 2);
  const summary = r.end.summary as Record<string, { count: number }>;
  assert.equal(summary["value.loss"].count, 2);
});

Deno.test("unload: a user listener that throws after exprag ended the run makes run_end failed with the real exit code", async () => {
  const r = await runCase(`const exp = new Experiment("x", { git: false });
exp.track({ loss: 1 });
globalThis.addEventListener("unload", () => {
  throw new Error("cleanup broke");
});`);
  assert.equal(r.code, 1, "Deno exits 1 for an error in an unload listener");
  assert.equal(r.end.status, "failed");
  assert.equal(r.end.exit_code, r.code);
  const error = r.end.error as Record<string, unknown>;
  assert.equal(error.message, "cleanup broke");
  assert.equal(r.end.track_count, 1);
});

Deno.test("unload: a value that cannot be encoded, tracked from a late listener, fails the run as the process does", async () => {
  const r = await runCase(`const exp = new Experiment("x", { git: false });
globalThis.addEventListener("unload", () => {
  exp.track({ f: () => 1 });
});`);
  assert.equal(r.code, 1);
  assert.equal(r.end.status, "failed");
  assert.equal(r.end.exit_code, 1);
  assert.match(
    String((r.end.error as Record<string, unknown>).message),
    /cannot encode value\.f/,
  );
  assert.equal(r.end.track_count, 0);
});

Deno.test("unload: track() after end({ status }) still throws; that run_end keeps what the caller said", async () => {
  const r = await runCase(`const exp = new Experiment("x", { git: false });
exp.end({ status: "finished" });
globalThis.addEventListener("unload", () => { exp.track({ a: 1 }); });`);
  assert.equal(r.code, 1);
  // ended explicitly in a live process: exit_code null (not the process's)
  assert.equal(r.end.status, "finished");
  assert.equal(r.end.exit_code, null);
});

Deno.test("Worker: new Experiment() inside a Worker records a run (argv names the worker's module)", async () => {
  const cwd = tempDir();
  const scripts = tempDir("exprag-worker-");
  const worker = join(scripts, "worker.ts");
  Deno.writeTextFileSync(
    worker,
    `import { Experiment } from ${JSON.stringify(TRACKER_URL)};
const exp = new Experiment("in a worker", { git: false });
exp.track({ loss: 0.25 });
exp.end();
self.postMessage(exp.path);
self.close();`,
  );
  const main = `const w = new Worker(${
    JSON.stringify(new URL(`file://${worker}`).href)
  }, { type: "module" });
const path = await new Promise((ok, bad) => { w.onmessage = (e) => ok(e.data); w.onerror = (e) => { e.preventDefault(); bad(e.message); }; });
console.log("run file", path);`;
  const out = await runScript(cwd, main, [
    "--allow-write=.exprag",
    `--allow-read=${scripts},${ROOT}`,
  ]);
  assert.equal(out.code, 0, out.stderr);
  const files = runFiles(join(cwd, ".exprag"));
  assert.equal(files.length, 1);
  const recs = readJsonl(files[0]) as Rec[];
  assert.deepEqual(recs.map((r) => r.kind), ["run_start", "track", "run_end"]);
  const proc = recs[0].value.process as Record<string, unknown>;
  assert.equal((proc.argv as string[])[1], worker);
  assert.equal(recs[2].value.status, "finished");
});
