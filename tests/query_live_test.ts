// Reading API on live and Python exprag runs: a live run's last line in
// progress is not torn, Python files are never judged by locks, a file named
// after another run's id never shadows it, run ids match case-sensitively.
import {
  deepStrictEqual as eq,
  ok,
  strictEqual as is,
} from "node:assert/strict";
import { join } from "node:path";
import { listRuns, type Problem, resolveRun, selectValues } from "../mod.ts";
import {
  bestRuns,
  ProblemError,
  readRecords,
  readRun,
  RunCatalog,
  type RunRefError,
} from "../src/query/mod.ts";
import { isDenoRunStart } from "../src/query/status.ts";
import { PYTHON_EXPRAG_VERSION } from "./_cli_fixtures.ts";
import {
  expragDir,
  spawnReady,
  writeDenoRun,
  writePythonRun,
} from "./_query_fixtures.ts";
import { MOD_URL, runScript } from "./_helpers.ts";

/** Holds the tracker's exclusive lock on `file` until killed. */
function holdLock(file: string) {
  return spawnReady(`
    const f = Deno.openSync(${
    JSON.stringify(file)
  }, { read: true, write: true });
    f.lockSync(true);
    console.log("ready");
    await new Promise((r) => setTimeout(r, 120_000));`);
}

/** Every problem of a tolerant listing, values query and record read. */
async function problemsOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  const onProblem = (p: Problem) => out.push(`${p.line}: ${p.reason}`);
  await listRuns({ dir, onProblem });
  await selectValues("value.step", { dir, onProblem });
  for await (const _ of readRecords({ dir, onProblem })) { /* read all */ }
  return out;
}

Deno.test("live: a locked run's unterminated last line is in progress — skipped silently, strict too; torn once unlocked", async () => {
  const dir = expragDir();
  const partial = '{"schema_version":1,"kind":"track","value":{"step":';
  const a = writeDenoRun(dir, {
    tracks: [{ value: { step: 1 } }, { value: { step: 2 } }],
    tail: partial,
  });
  const holder = await holdLock(a.file);
  try {
    eq(await problemsOf(dir), []);
    const [run] = await listRuns({ dir, strict: true });
    is(run.status, "running");
    is(run.records, 2);
    is(run.last_at, readRun(a.file)!.last_at);
    const rows = await selectValues("value.step", { dir, strict: true });
    eq(rows.map((r) => r.value), [1, 2]);
    let n = 0;
    for await (const _ of readRecords({ dir, strict: true })) n++;
    is(n, 3);
  } finally {
    await holder.kill();
  }
  // no writer any more: the same line is torn
  const after = await problemsOf(dir);
  ok(
    after.length > 0 && after.every((p) => p.includes("torn line")),
    after.join(),
  );
});

Deno.test("live: a strict read of a torn line names file:line once, not 'cannot read: file:line'", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    tracks: [{ value: { step: 1 } }],
    tail: '{"kind":"tr',
  });
  let message = "";
  try {
    await listRuns({ dir, strict: true });
  } catch (e) {
    ok(e instanceof ProblemError, String(e));
    message = e.message;
  }
  is(
    message,
    `${a.file}:3: torn line at end of file (no newline; crash mid-write?)`,
  );
});

Deno.test("live: reading a run while it writes ~20 KB records never reports a problem, strict or not", async () => {
  const dir = expragDir();
  const writer = await spawnReady(`
    import { Experiment } from ${JSON.stringify(MOD_URL)};
    const exp = new Experiment("big", { dir: ${
    JSON.stringify(dir)
  }, git: false });
    const blob = "x".repeat(20_000);
    exp.track({ step: 0, blob });
    console.log("ready");
    for (let i = 1; ; i++) {
      exp.track({ step: i, blob });
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 0));
    }`);
  const problems: string[] = [];
  const onProblem = (p: Problem) =>
    problems.push(`${p.file}:${p.line}: ${p.reason}`);
  let rounds = 0;
  try {
    const until = Date.now() + 3_000;
    while (Date.now() < until && rounds < 2_000) {
      rounds++;
      // cheap: a fresh listing without counting, the last value read backwards
      const catalog = new RunCatalog({ dir, countRecords: false, onProblem });
      const best = await bestRuns("value.step", { catalog });
      is(best.rows.length, 1);
      if (rounds % 10 === 0) {
        const [run] = await listRuns({ dir, strict: true });
        is(run.status, "running");
      }
    }
    for await (const _ of readRecords({ dir, onProblem, kinds: ["run_end"] })) {
      // read to the end once
    }
  } finally {
    await writer.kill();
  }
  ok(rounds > 10, `only ${rounds} rounds`);
  eq(problems, []);
});

Deno.test("python: a run carrying exprag_version but no runtime.deno is judged by host and process, never by locks", async () => {
  const dir = expragDir();
  const py = writePythonRun(dir, {
    start: new Date(),
    host: { hostname: Deno.hostname() },
    process: { pid: 999_999_999, ppid: 1, cwd: "/", argv: ["train.py"] },
  });
  const deno = writeDenoRun(dir, { host: { hostname: Deno.hostname() } });
  is(
    JSON.parse(Deno.readTextFileSync(py.file).split("\n")[0]).exprag_version,
    PYTHON_EXPRAG_VERSION,
  );
  const code = `import { listRuns } from ${JSON.stringify(MOD_URL)};
    const runs = await listRuns({ dir: Deno.args[0] });
    console.log(JSON.stringify(runs.map((r) => [r.id, r.writer, r.status, r.status_reason])));`;
  const out = await runScript(dir, code, [`--allow-read=${dir}`], {
    args: [dir],
  });
  is(out.stderr, "");
  const by = new Map(
    (JSON.parse(out.stdout) as string[][]).map((r) => [r[0], r.slice(1)]),
  );
  const [pyWriter, pyStatus, pyWhy] = by.get(py.id)!;
  is(pyWriter, "python");
  is(pyStatus, "unknown"); // not "crashed": it never took a lock
  ok(pyWhy.includes("--allow-sys=hostname"), pyWhy);
  eq(by.get(deno.id)!.slice(0, 2), ["deno", "crashed"]);
  // with the hostname, its process (gone) decides
  const run = (await listRuns({ dir })).find((r) => r.id === py.id)!;
  is(run.status, "crashed");
  ok(
    run.status_reason!.includes("process 999999999 is gone"),
    run.status_reason!,
  );
  is(run.exprag_version, null);
  is(isDenoRunStart({ runtime: { deno: "2.9.6" } }), true);
  is(isDenoRunStart({ runtime: { python: "3.12" } }), false);
  is(isDenoRunStart({}), false);
});

Deno.test("listing: a file named after no run id never shadows the run's own <id>.jsonl", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    id: "eeee0000-0000-4000-8000-000000000000",
    tracks: [{ value: { step: 1 } }],
    end: "finished",
  });
  // sorts before the genuine file, carries its id, and says otherwise
  const shadow = join(dir, "runs", "0000-x.jsonl");
  const lines = Deno.readTextFileSync(a.file).split("\n");
  Deno.writeTextFileSync(shadow, lines[0] + "\n");
  const problems: Problem[] = [];
  const runs = await listRuns({ dir, onProblem: (p) => problems.push(p) });
  eq(runs.map((r) => r.file), [a.file]);
  is(runs[0].status, "finished");
  eq(problems.map((p) => p.file), [shadow]);
  ok(problems[0].reason.includes(`also in ${a.file}`), problems[0].reason);
  is((await resolveRun(a.id, { dir })).file, a.file);
  // two files both named after no id: the first by name stays the run's
  Deno.removeSync(a.file);
  Deno.writeTextFileSync(join(dir, "runs", "zzzz-y.jsonl"), lines[0] + "\n");
  eq((await listRuns({ dir, onProblem: () => {} })).map((r) => r.file), [
    shadow,
  ]);
});

Deno.test("refs: run ids and prefixes match case-sensitively — another case is another run", async () => {
  const dir = expragDir();
  const lower = writeDenoRun(dir, {
    id: "abcd0000-0000-4000-8000-000000000001",
  });
  const upper = writeDenoRun(dir, {
    id: "ABCD0000-0000-4000-8000-000000000002",
  });
  is((await resolveRun(lower.id, { dir })).id, lower.id);
  is((await resolveRun(upper.id, { dir })).id, upper.id);
  is((await resolveRun("abcd", { dir })).id, lower.id);
  is((await resolveRun("ABCD", { dir })).id, upper.id);
  const notFound = async (ref: string) => {
    try {
      await resolveRun(ref, { dir });
    } catch (e) {
      return (e as RunRefError).reason;
    }
    return "found";
  };
  is(await notFound(lower.id.toUpperCase()), "not_found");
  is(await notFound("aBcD"), "not_found");
});
