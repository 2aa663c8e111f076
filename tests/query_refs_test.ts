// Reading API: run references and where clauses.
import {
  deepStrictEqual as eq,
  ok,
  rejects,
  strictEqual as is,
  throws,
} from "node:assert/strict";
import { join } from "node:path";
import { listRuns, resolveRun } from "../mod.ts";
import { isValidRunId } from "../src/query/files.ts";
import { matchesWhere, parseWhere } from "../src/query/where.ts";
import type { RunRefError } from "../src/query/refs.ts";
import { expragDir, writeDenoRun, writePythonRun } from "./_query_fixtures.ts";

Deno.test("refs: full id, unique prefix, latest, latest~N", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    id: "aaaa1111-0000-4000-8000-000000000001",
    start: "2026-11-20T10:00:00Z",
    end: "finished",
  });
  const b = writePythonRun(dir, {
    id: "aaaa2222-0000-4000-8000-000000000002",
    start: "2026-11-20T11:00:00.5+00:00",
  });
  const c = writeDenoRun(dir, {
    id: "bbbb3333-0000-4000-8000-000000000003",
    start: "2026-11-20T12:30:00+02:00",
    end: "failed",
  }); // 10:30Z
  is((await resolveRun(a.id, { dir })).id, a.id);
  is((await resolveRun("bbbb", { dir })).id, c.id);
  is((await resolveRun("aaaa2", { dir })).id, b.id);
  // start order by instant: a 10:00Z, c 10:30Z, b 11:00Z
  is((await resolveRun("latest", { dir })).id, b.id);
  is((await resolveRun("latest~0", { dir })).id, b.id);
  is((await resolveRun("latest~1", { dir })).id, c.id);
  is((await resolveRun("latest~2", { dir })).id, a.id);
  const r = await resolveRun("latest~2", { dir });
  is(r.records, 0);
  is(r.status, "finished");
});

Deno.test("refs: ambiguity lists the candidates; unknown and invalid refs are RangeErrors", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, { id: "aaaa1111-0000-4000-8000-000000000001" });
  const b = writeDenoRun(dir, { id: "aaaa2222-0000-4000-8000-000000000002" });
  await rejects(resolveRun("aaaa", { dir }), (e: RunRefError) => {
    ok(e instanceof RangeError);
    is(e.reason, "ambiguous");
    eq(e.candidates.sort(), [a.id, b.id]);
    ok(
      e.message.startsWith(
        'Run reference "aaaa" is ambiguous: it matches 2 runs: ',
      ),
      e.message,
    );
    ok(e.message.includes(a.id) && e.message.includes(b.id));
    return true;
  });
  await rejects(
    resolveRun("cccc", { dir }),
    (e: RunRefError) =>
      e.reason === "not_found" && e.message === 'No run matches "cccc"',
  );
  await rejects(
    resolveRun("latest~2", { dir }),
    (e: RunRefError) =>
      e.reason === "not_found" &&
      e.message === 'No run matches "latest~2": only 2 runs',
  );
  for (
    const bad of [
      "../etc/passwd",
      "a/b",
      "",
      "latest~",
      "latest~-1",
      "x y",
      "a.jsonl",
    ]
  ) {
    await rejects(
      resolveRun(bad, { dir }),
      (e: RunRefError) =>
        e instanceof RangeError && e.reason === "invalid" &&
        e.message.includes(JSON.stringify(bad)),
    );
  }
  await rejects(resolveRun(42 as never, { dir }), TypeError);
  await rejects(
    resolveRun("latest", { dir: join(dir, "..", "empty") }),
    /no runs/,
  );
});

Deno.test("refs: a run id from a file can never name a path", async () => {
  ok(!isValidRunId("../x"));
  ok(!isValidRunId("a/b"));
  ok(!isValidRunId(".."));
  ok(isValidRunId("3f2a9c1e-0000-4000-8000-000000000000"));
  const dir = expragDir();
  // a file whose run_start claims a hostile id is skipped and reported
  const f = join(dir, "runs", "evil.jsonl");
  Deno.writeTextFileSync(
    f,
    JSON.stringify({
      schema_version: 1,
      run_id: "../../etc/passwd",
      kind: "run_start",
      created_at: "2026-01-01T00:00:00Z",
      value: {},
    }) + "\n",
  );
  const problems: string[] = [];
  eq(
    await listRuns({
      dir,
      onProblem: (p) => problems.push(`${p.line}: ${p.reason}`),
    }),
    [],
  );
  eq(problems, ['1: invalid run id "../../etc/passwd"; run skipped']);
  // duplicate ids in two files: the second is reported, not merged
  const a = writeDenoRun(dir, { id: "dddd0000-0000-4000-8000-000000000000" });
  Deno.copyFileSync(a.file, join(dir, "runs", "zz-copy.jsonl"));
  const p2: string[] = [];
  eq(
    (await listRuns({ dir, onProblem: (p) => p2.push(p.reason) })).map((r) =>
      r.file
    ),
    [a.file],
  );
  ok(p2.some((r) => r.includes("also in")), p2.join());
});

Deno.test("where: parsing", () => {
  const parsed: [string, string, string, string][] = [
    ["metadata.hparams.lr <= 0.01", "metadata.hparams.lr", "<=", "0.01"],
    ["git.branch=main", "git.branch", "=", "main"],
    ["name == 'my run'", "name", "=", "my run"],
    ['note ~ "a b"'.replace("note", "name"), "name", "~", "a b"],
    ["value.metrics.acc>0.9", "value.metrics.acc", ">", "0.9"],
    ["status != finished", "status", "!=", "finished"],
  ];
  for (const [clause, path, op, value] of parsed) {
    eq(parseWhere(clause), { path, op, value });
  }
  throws(
    () => parseWhere("metadata.lr"),
    (e: Error) =>
      e instanceof RangeError &&
      e.message.startsWith('Invalid where clause "metadata.lr"'),
  );
  throws(
    () => parseWhere("bogus.x = 1"),
    (e: Error) =>
      e instanceof RangeError &&
      e.message.includes('unknown path root "bogus"'),
  );
  throws(() => parseWhere("value = 1"), RangeError);
  throws(() => parseWhere(3 as never), TypeError);
});

Deno.test("where: filters on metadata, git, host, name, status and reduced values", async () => {
  const dir = expragDir();
  const acc = (xs: (number | string)[]) =>
    xs.map((a) => ({ value: { metrics: { acc: a } } }));
  const a = writeDenoRun(dir, {
    name: "resnet-a",
    metadata: { hparams: { lr: 0.1, batch_size: 32 }, tags: ["base", "gpu"] },
    tracks: acc([0.5, 0.95, 0.7]),
    end: "finished",
  });
  const b = writePythonRun(dir, {
    name: "resnet-b",
    metadata: { hparams: { lr: 0.01, batch_size: 64 } },
    tracks: acc([0.6, 0.92]),
    git: {
      commit: "c0ffee",
      branch: "feature/x",
      dirty: true,
      status: " M a",
      diff: "",
    },
  });
  const c = writeDenoRun(dir, {
    name: "vit",
    metadata: { hparams: { lr: 0.001, batch_size: 32 } },
    tracks: acc([0.3, "NaN"]),
    git: null,
    end: "failed",
  });
  const ids = async (...where: string[]) =>
    (await listRuns({ dir, where })).map((r) => r.id).sort();
  eq(await ids("metadata.hparams.batch_size = 32"), [a.id, c.id].sort());
  eq(await ids("metadata.hparams.lr < 0.05"), [b.id, c.id].sort());
  eq(await ids("metadata.hparams.lr >= 1e-2"), [a.id, b.id].sort());
  eq(await ids("git.branch = main"), [a.id]);
  eq(await ids("git.branch != main"), [b.id, c.id].sort()); // missing satisfies !=
  eq(await ids("git.dirty = true"), [b.id]);
  eq(await ids("name ~ ^resnet"), [a.id, b.id].sort());
  eq(await ids("name ~ net-"), [a.id, b.id].sort());
  // an invalid regex is a usage error (issue 9; it was a substring match)
  await rejects(
    ids("name ~ [unclosed"),
    (e: Error) =>
      e.name === "UsageError" && /no valid regular expression/.test(e.message),
  );
  eq(await ids("status = finished"), [a.id]);
  eq(await ids("host.hostname = py-host"), [b.id]);
  eq(await ids("metadata.tags = gpu"), [a.id]); // lists match any element
  eq(await ids("value.metrics.acc > 0.8"), [b.id]); // reduced with last: a 0.7, b 0.92, c NaN
  eq(
    (await listRuns({ dir, where: ["value.metrics.acc > 0.8"], by: "max" }))
      .map((r) => r.id).sort(),
    [a.id, b.id].sort(),
  );
  eq(await ids("value.metrics.acc = NaN"), [c.id]);
  eq(await ids("value.metrics.missing > 0"), []);
  eq(await ids("started_at >= 2000-01-01", "writer = python"), [b.id]);
  eq(await ids("metadata.hparams.batch_size = 32", "value.metrics.acc < 0.8"), [
    a.id,
  ]); // NaN fails <
  // structured clauses, as the CLI passes them
  eq(
    (await listRuns({
      dir,
      where: [{ path: "metadata.hparams.lr", op: ">", value: "0.05" }],
    })).map((r) => r.id),
    [a.id],
  );
  const runs = await listRuns({ dir });
  ok(
    matchesWhere(runs.find((r) => r.id === a.id)!, [
      "exit_code = 0",
      "records = 3",
    ]),
  );
  await rejects(listRuns({ dir, where: ["nope ~ x"] }), RangeError);
});
