// One `--where` grammar for the API and the CLI; bounded regex matching;
// quoted keys in paths; errors by class; one listing per catalogue.
import {
  deepStrictEqual as eq,
  ok,
  rejects,
  strictEqual as is,
  throws,
} from "node:assert/strict";
import { join } from "node:path";
import { resolveRun, selectValues } from "../mod.ts";
import { compareRuns } from "../src/query/compare.ts";
import { discoverPaths } from "../src/query/select.ts";
import { listRuns, RunCatalog } from "../src/query/catalog.ts";
import { NotFoundError, ProblemError, UsageError } from "../src/errors.ts";
import { parseWhere } from "../src/query/where.ts";
import { checkPattern } from "../src/query/pattern.ts";
import { CLI_URL, denoRunArgs, run } from "./_helpers.ts";
import { expragDir, writeDenoRun, writePythonRun } from "./_query_fixtures.ts";

async function cli(dir: string, ...args: string[]) {
  return await run(
    Deno.execPath(),
    denoRunArgs([`--allow-read=${dir}`], CLI_URL, ["--dir", dir, ...args]),
  );
}

async function cliIds(dir: string, ...args: string[]): Promise<string[]> {
  const o = await cli(dir, "runs", "--json", ...args);
  is(o.code, 0, o.stderr);
  return JSON.parse(o.stdout).map((r: { id: string }) => r.id).sort();
}

async function apiIds(dir: string, where: string[]): Promise<string[]> {
  return (await listRuns({ dir, where })).map((r) => r.id).sort();
}

Deno.test("where: the CLI and the API read every clause alike (== is =, quoted values, quoted keys)", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    name: "my run",
    metadata: { lr: 0.1, "opt.name": "adam", tag: "a b" },
  });
  writeDenoRun(dir, {
    name: "other",
    metadata: { lr: 0.01, "opt.name": "sgd", tag: "c" },
  });
  writePythonRun(dir, { metadata: { lr: 0.1, tag: "x" } });
  const clauses = [
    "metadata.lr==0.1", // matched nothing in the CLI before
    'name = "my run"',
    "name=='my run'",
    'metadata."opt.name" = adam',
    'metadata."opt.name"==adam',
    "metadata.tag ~ ^a b$",
  ];
  for (const clause of clauses) {
    const api = await apiIds(dir, [clause, "writer = deno"]);
    eq(api, [a.id], clause);
    eq(await cliIds(dir, "--where", clause, "--where", "writer=deno"), api);
  }
  // three words are taken as the shell split them; == is = there too
  eq(await cliIds(dir, "--where", "metadata.lr", "==", "0.1"), [
    ...await apiIds(dir, ["metadata.lr = 0.1"]),
  ]);
  eq(parseWhere('metadata."a=b" <= 3'), {
    path: 'metadata."a=b"',
    op: "<=",
    value: "3",
  });
  throws(() => parseWhere('metadata."a.b = 1'), UsageError);
});

Deno.test("where: ~ compiles with the u flag", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, { name: "résumé" });
  writeDenoRun(dir, { name: "resume-2" });
  eq(await apiIds(dir, ["name ~ ^\\p{L}+$"]), [a.id]);
  eq(await cliIds(dir, "--where", "name ~ ^\\p{L}+$"), [a.id]);
});

Deno.test("where: a pattern that could backtrack exponentially is refused at once, naming it", async () => {
  for (
    const bad of [
      "(a+)+$",
      "(a*)*b",
      "(x{1,3})+y",
      "(a|a)*$",
      "(a|ab)+c",
      "(.|x)*",
    ]
  ) {
    ok(checkPattern(bad) !== undefined, bad);
    throws(
      () => parseWhere(`name ~ ${bad}`),
      (e: Error) =>
        e instanceof UsageError && e.message.includes(JSON.stringify(bad)) &&
        e.message.includes("exponential time") && !e.message.includes("\n"),
    );
  }
  for (
    const fine of ["^resnet-(18|50)$", "a+b*", "(ab)+", "[a-z]+(foo|bar)?"]
  ) {
    is(checkPattern(fine), undefined, fine);
  }
  // a run whose name is 40 a's and a b: matching (a+)+$ would never return
  const dir = expragDir();
  writeDenoRun(dir, { name: "a".repeat(40) + "!" });
  const t0 = Date.now();
  const o = await cli(dir, "runs", "--where", "name ~ (a+)+$");
  is(o.code, 2, o.stderr);
  ok(Date.now() - t0 < 20_000);
  is(o.stderr.trim().split("\n").length, 1, o.stderr);
  ok(o.stderr.includes('"(a+)+$"'), o.stderr);
  ok(o.stderr.startsWith("exprag: --where: Invalid where clause"), o.stderr);
});

Deno.test("paths: a key holding a dot is one quoted segment in paths and values", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    tracks: [
      { value: { "val.acc": 0.5, val: { acc: 0.7 } } },
      { value: { "val.acc": 0.6 } },
    ],
  });
  const paths = (await discoverPaths({ dir })).map((p) => p.path).sort();
  eq(paths, ['value."val.acc"', "value.val.acc"]);
  eq((await selectValues('value."val.acc"', { dir })).map((r) => r.value), [
    0.5,
    0.6,
  ]);
  eq((await selectValues("value.val.acc", { dir })).map((r) => r.value), [
    0.7,
  ]);
  const o = await cli(dir, "values", 'value."val.acc"', "--json");
  is(o.code, 0, o.stderr);
  eq(JSON.parse(o.stdout).map((r: { value: number }) => r.value), [0.5, 0.6]);
  const p = await cli(dir, "paths", "--json");
  ok(
    JSON.parse(p.stdout).some((r: { path: string }) =>
      r.path === 'value."val.acc"'
    ),
  );
  is(a.id.length > 0, true);
});

Deno.test("errors: invalid input is a UsageError, unknown runs a NotFoundError, bad data in strict mode a ProblemError", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, { id: "aaaa1111-0000-4000-8000-000000000001" });
  writeDenoRun(dir, { id: "aaaa2222-0000-4000-8000-000000000002" });
  await rejects(resolveRun("a/b", { dir }), UsageError);
  await rejects(resolveRun("cccc", { dir }), NotFoundError);
  await rejects(resolveRun("aaaa", { dir }), (e: NotFoundError) => {
    ok(e instanceof NotFoundError);
    eq([...e.candidates].sort(), [
      a.id,
      "aaaa2222-0000-4000-8000-000000000002",
    ]);
    return true;
  });
  await rejects(listRuns({ dir, since: "yesterdayish" }), UsageError);
  await rejects(listRuns({ dir, where: ["bogus.x = 1"] }), UsageError);
  await rejects(selectValues("", { dir }), UsageError);
  await rejects(selectValues('value."x', { dir }), UsageError);
  Deno.writeTextFileSync(a.file, "{torn", { append: true });
  await rejects(listRuns({ dir, strict: true }), (e: ProblemError) => {
    ok(e instanceof ProblemError);
    is(e.problem.file, a.file);
    ok(e.message.startsWith(`${a.file}:`), e.message);
    return true;
  });
});

Deno.test("catalog: the runs are listed once; references and filters reuse the listing", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, { start: "2026-11-20T10:00:00Z" });
  const b = writeDenoRun(dir, { start: "2026-11-20T11:00:00Z" });
  const catalog = new RunCatalog({ dir });
  is(catalog.all().length, 2);
  // a run written after the listing is not seen by this catalogue
  writeDenoRun(dir, { start: "2026-11-20T12:00:00Z" });
  is(catalog.resolve("latest").id, b.id);
  const c = await compareRuns("latest~1", "latest", { catalog });
  eq([c.a.id, c.b.id], [a.id, b.id]);
  is((await listRuns({ catalog })).length, 2);
  is((await listRuns({ dir })).length, 3);
  // removing a file after listing does not change the catalogue's answer
  Deno.removeSync(join(dir, "runs", `${a.id}.jsonl`));
  is((await listRuns({ catalog, where: ["status = finished"] })).length, 0);
  is((await listRuns({ catalog, since: "2026-11-20T10:30:00Z" })).length, 1);
});
