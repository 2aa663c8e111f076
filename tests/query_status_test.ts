// Reading API: run status from run_end, the tracker's lock, and /proc.
import { ok, strictEqual as is } from "node:assert/strict";
import { join } from "node:path";
import { listRuns } from "../mod.ts";
import { isLocked } from "../src/query/status.ts";
import { readRun } from "../src/query/run_file.ts";
import {
  expragDir,
  pyTime,
  spawnReady,
  writeDenoRun,
  writePythonRun,
} from "./_query_fixtures.ts";
import { runScript } from "./_helpers.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;
const HOST = Deno.hostname();

async function statusOf(dir: string, id: string) {
  const run = (await listRuns({ dir })).find((r) => r.id === id)!;
  return [run.status, run.status_reason] as const;
}

Deno.test("status: finished, failed, interrupted from run_end", async () => {
  const dir = expragDir();
  const f = writeDenoRun(dir, {
    tracks: [{ value: { a: 1 } }],
    end: "finished",
  });
  const g = writeDenoRun(dir, { tracks: [{ value: { a: 1 } }], end: "failed" });
  const h = writeDenoRun(dir, { end: "interrupted" });
  const runs = await listRuns({ dir });
  const by = (id: string) => runs.find((r) => r.id === id)!;
  is(by(f.id).status, "finished");
  is(by(f.id).status_reason, null);
  is(by(f.id).exit_code, 0);
  is(by(g.id).status, "failed");
  is(by(g.id).end?.error?.message, "boom");
  is(by(h.id).status, "interrupted");
  is(by(h.id).end?.signal, "SIGINT");
  is(by(f.id).duration_ms, 11);
});

Deno.test("status: a live process holding the lock → running; lock released → crashed", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    tracks: [{ value: { a: 1 } }],
    host: { hostname: HOST, boot_id: null },
  });
  is(isLocked(a.file), false);
  is((await statusOf(dir, a.id))[0], "crashed");
  const holder = await spawnReady(`
    const f = Deno.openSync(${
    JSON.stringify(a.file)
  }, { read: true, write: true });
    f.lockSync(true);
    console.log("ready");
    await new Promise((r) => setTimeout(r, 120_000));`);
  try {
    is(isLocked(a.file), true);
    const [s, why] = await statusOf(dir, a.id);
    is(s, "running");
    ok(why!.includes("lock"), why!);
    // testing the lock did not take it away from the holder
    is(isLocked(a.file), true);
  } finally {
    await holder.kill();
  }
  is(isLocked(a.file), false);
  const [s, why] = await statusOf(dir, a.id);
  is(s, "crashed");
  ok(why!.includes("last record at 2026-"), why!);
});

Deno.test("status: our file written on another host is unknown, with the last record time", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    tracks: [{ value: { a: 1 } }],
    host: { hostname: "elsewhere.example" },
  });
  const [s, why] = await statusOf(dir, a.id);
  is(s, "unknown");
  ok(
    why!.includes("elsewhere.example") && why!.includes("last record at"),
    why!,
  );
});

Deno.test("status: Python runs via /proc — alive → running, gone → crashed, pid reused → crashed", async () => {
  const dir = expragDir();
  const proc = await spawnReady(
    `console.log("ready"); await new Promise((r) => setTimeout(r, 120_000));`,
  );
  const pid = proc.child.pid;
  await new Promise((r) => setTimeout(r, 20));
  const now = new Date();
  const live = writePythonRun(dir, {
    start: now,
    host: {
      hostname: HOST,
      os: "linux",
      arch: "x86_64",
      username: "me",
      cpu_count: 2,
    },
    process: { pid, ppid: 1, cwd: "/", argv: ["train.py"] },
    tracks: [{ value: { a: 1 } }],
  });
  // the same pid, but the run started long before that process: pid reused
  const reused = writePythonRun(dir, {
    start: "2020-01-01T00:00:00Z",
    host: { hostname: HOST },
    process: { pid, ppid: 1, cwd: "/", argv: ["old.py"] },
  });
  const other = writePythonRun(dir, {
    host: { hostname: "gpu-node-7" },
    process: { pid },
  });
  try {
    let [s, why] = await statusOf(dir, live.id);
    is(s, "running", why!);
    [s, why] = await statusOf(dir, reused.id);
    is(s, "crashed");
    ok(why!.includes("newer process"), why!);
    [s, why] = await statusOf(dir, other.id);
    is(s, "unknown");
    ok(why!.includes("gpu-node-7") && why!.includes("last record at"), why!);
  } finally {
    await proc.kill();
  }
  const [s, why] = await statusOf(dir, live.id);
  is(s, "crashed");
  ok(why!.includes(`process ${pid} is gone`), why!);
  ok(pyTime(now).endsWith("+00:00"));
});

Deno.test("status: missing permissions weaken the inference, never prompt", async () => {
  const dir = expragDir();
  const proc = await spawnReady(
    `console.log("ready"); await new Promise((r) => setTimeout(r, 120_000));`,
  );
  const py = writePythonRun(dir, {
    start: new Date(),
    host: { hostname: HOST },
    process: { pid: proc.child.pid, ppid: 1, cwd: "/", argv: ["t.py"] },
  });
  const code = `import { listRuns } from ${JSON.stringify(MOD)};
    const r = (await listRuns({ dir: Deno.args[0] }))[0];
    console.log(JSON.stringify([r.status, r.status_reason]));`;
  try {
    const noSys = await runScript(dir, code, [`--allow-read=${dir}`], {
      args: [dir],
    });
    is(noSys.stderr, "");
    const [s1, why1] = JSON.parse(noSys.stdout);
    is(s1, "unknown");
    ok(why1.includes("--allow-sys=hostname"), why1);
    const noProc = await runScript(dir, code, [
      `--allow-read=${dir}`,
      "--allow-sys=hostname",
    ], { args: [dir] });
    const [s2, why2] = JSON.parse(noProc.stdout);
    is(s2, "unknown");
    ok(why2.includes("--allow-run=ps"), why2);
    const all = await runScript(dir, code, [
      `--allow-read=${dir}`,
      "--allow-sys=hostname",
      "--allow-run=ps",
    ], { args: [dir] });
    is(JSON.parse(all.stdout)[0], "running", all.stdout + all.stderr);
  } finally {
    await proc.kill();
  }
  const run = readRun(py.file)!;
  is(run.status, "crashed");
});

Deno.test("status: Experiment runs — finished, failed, running while alive, crashed after SIGKILL", async () => {
  const dir = expragDir();
  const cwd = join(dir, "..");
  const ok1 = await runScript(
    cwd,
    `import { Experiment } from ${JSON.stringify(MOD)};
    const exp = new Experiment("done", { dir: ${
      JSON.stringify(dir)
    }, git: false });
    exp.track({ m: { acc: 0.5 } }); exp.end(); console.log(exp.runId);`,
    ["-A"],
  );
  is(ok1.code, 0, ok1.stderr);
  const fail = await runScript(
    cwd,
    `import { Experiment } from ${JSON.stringify(MOD)};
    const exp = new Experiment("bad", { dir: ${
      JSON.stringify(dir)
    }, git: false });
    console.log(exp.runId); exp.end({ error: new Error("boom") });`,
    ["-A"],
  );
  is(fail.code, 0, fail.stderr);
  const live = await spawnReady(
    `import { Experiment } from ${JSON.stringify(MOD)};
    const exp = new Experiment("live", { dir: ${
      JSON.stringify(dir)
    }, git: false });
    for (let i = 0; i < 3; i++) exp.track({ step: i, m: { acc: i / 10 } });
    console.log(exp.runId + " ready");
    await new Promise((r) => setTimeout(r, 120_000));`,
  );
  const liveId = live.out().split(" ")[0].trim();
  try {
    is((await statusOf(dir, ok1.stdout.trim()))[0], "finished");
    is((await statusOf(dir, fail.stdout.trim()))[0], "failed");
    const [s, why] = await statusOf(dir, liveId);
    is(s, "running", why!);
    const run = (await listRuns({ dir })).find((r) => r.id === liveId)!;
    is(run.records, 3);
    is(run.writer, "deno");
  } finally {
    const st = await live.kill("SIGKILL");
    is(st.signal, "SIGKILL");
  }
  const [s, why] = await statusOf(dir, liveId);
  is(s, "crashed", why!);
});
