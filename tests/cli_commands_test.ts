// Each read-only command as a real subprocess under its minimal flags
// (--allow-read=.exprag), on fixture files in our shape and in the Python
// exprag's exact shape: tables, --json, filters, exit codes, one-line errors.
import {
  deepStrictEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { run, tempDir } from "./_helpers.ts";
import {
  cli,
  history,
  makeExprag,
  tableObjects,
  writeDenoRun,
  writePythonRun,
} from "./_cli_fixtures.ts";

const R = ["--allow-read=.exprag"];

// ids with a shared prefix "aaaa" (A and P) to test ambiguity
const P = "aaaa2222-0000-4000-8000-000000000003"; // Python, 20 days ago, no run_end
const A = "aaaa1111-0000-4000-8000-000000000001"; // ours, finished, 3 days ago
const B = "bbbb0000-0000-4000-8000-000000000002"; // ours, failed, 1 day ago, NaN last, torn tail

const root = tempDir("exprag-cli-cmd-");
const dir = makeExprag(root);
writePythonRun(dir, {
  id: P,
  daysAgo: 20,
  metadata: { hparams: { learning_rate: 0.1, batch_size: 64 } },
  tracks: history(5, 0.5, 0.05),
});
writeDenoRun(dir, {
  id: A,
  daysAgo: 3,
  end: "finished",
  metadata: { hparams: { learning_rate: 0.03, batch_size: 32 } },
  tracks: history(5, 0.6, 0.08),
});
writeDenoRun(dir, {
  id: B,
  daysAgo: 1,
  end: "failed",
  metadata: { hparams: { learning_rate: 0.01, batch_size: 16 } },
  tracks: [...history(3, 0.7, 0.1), {
    value: { step: 3, metrics: { loss: "NaN", acc: "NaN" } },
  }],
});
// a torn last line after run_end (as after a crash of another writer)
Deno.writeTextFileSync(
  join(dir, "runs", `${B}.jsonl`),
  '{"schema_version":1,"ki',
  { append: true },
);

function oneLineError(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  equal(lines.length, 1, `expected one line on stderr, got: ${stderr}`);
  match(lines[0], /^exprag: /);
  ok(!/\n\s+at /.test(stderr), "no stack trace");
  return lines[0];
}

Deno.test("runs: table newest first, statuses, torn line reported once as file:line", async () => {
  const o = await cli(root, R, ["runs"]);
  equal(o.code, 0, o.stderr);
  const lines = o.stdout.trimEnd().split("\n");
  // the metadata leaves that differ between the runs, one column each
  equal(
    lines[0].split("\t").slice(0, 10).join("\t"),
    "id\tname\tstatus\tstarted\tlast\tduration_s\trecords\tcommit\tbranch\tdirty",
  );
  ok(lines[0].includes("\tmetadata.hparams.learning_rate"), lines[0]);
  ok(!lines[0].split("\t").includes("metadata"), lines[0]);
  const rows = tableObjects(o.stdout);
  deepStrictEqual(rows.map((r) => r.id), [B, A, P]);
  deepStrictEqual(rows.map((r) => r.status), ["failed", "finished", "unknown"]);
  deepStrictEqual(rows.map((r) => r.records), ["4", "5", "5"]);
  equal(rows[2].name, "python experiment");
  equal(rows[2].commit, "0123456789ab");
  equal(rows[2].branch, "main");
  equal(rows[2].dirty, "false");
  equal(rows[1]["metadata.hparams.learning_rate"], "0.03");
  equal(rows[1]["metadata.hparams.batch_size"], "32");
  match(rows[2].started, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const warnings = o.stderr.split("\n").filter((l) =>
    l !== "" && !l.startsWith("exprag: note: the same in all 3 runs")
  );
  equal(warnings.length, 1, o.stderr);
  match(warnings[0], new RegExp(`^\\.exprag/runs/${B}\\.jsonl:7: `));
});

Deno.test("runs: --json, --limit, --since/--until, --where (repeatable)", async () => {
  const j = await cli(root, R, ["runs", "--json"]);
  equal(j.code, 0, j.stderr);
  const runs = JSON.parse(j.stdout);
  deepStrictEqual(runs.map((r: { id: string }) => r.id), [B, A, P]);
  equal(runs[2].writer, "python");
  deepStrictEqual(runs[0].metadata, {
    hparams: { learning_rate: 0.01, batch_size: 16 },
  });

  const ids = async (...args: string[]) => {
    const o = await cli(root, R, ["runs", ...args]);
    equal(o.code, 0, o.stderr);
    return tableObjects(o.stdout).map((r) => r.id);
  };
  deepStrictEqual(await ids("--limit", "1"), [B]);
  deepStrictEqual(await ids("--since", "2w"), [B, A]);
  deepStrictEqual(await ids("--until", "14d"), [P]);
  deepStrictEqual(
    await ids(
      "--since",
      new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10),
    ),
    [B, A],
  );
  deepStrictEqual(
    await ids("--where", "metadata.hparams.batch_size", "=", "32"),
    [A],
  );
  deepStrictEqual(await ids("--where", "value.metrics.acc > 0.9"), [A]);
  deepStrictEqual(
    await ids(
      "--where",
      "metadata.hparams.learning_rate<0.05",
      "--where",
      "status=failed",
    ),
    [B],
  );
  deepStrictEqual(await ids("--where", "name ~ ^python"), [P]);
  deepStrictEqual(
    await ids("--where", "metadata.hparams.batch_size", "=", "7"),
    [],
  );
});

Deno.test("show: run fields, metadata, then numeric path statistics; --json", async () => {
  const o = await cli(root, R, ["show", "aaaa1"]);
  equal(o.code, 0, o.stderr);
  const [fields, stats] = o.stdout.split("\n\n");
  const kv = Object.fromEntries(
    fields.split("\n").slice(1).map((l) => l.split("\t")),
  );
  equal(kv.id, A);
  equal(kv.status, "finished");
  equal(kv.exit_code, "0");
  equal(kv["metadata.hparams.learning_rate"], "0.03");
  equal(kv["host.hostname"], "deno-host-elsewhere");
  equal(kv["process.argv"], '["deno","train.ts"]');
  const s = tableObjects(stats);
  const loss = s.find((r) => r.path === "value.metrics.loss")!;
  deepStrictEqual([loss.count, loss.first, loss.last, loss.min, loss.max], [
    "5",
    "1",
    "0.2",
    "0.2",
    "1",
  ]);

  const failed = await cli(root, R, ["show", "latest"]);
  const kvb = Object.fromEntries(
    failed.stdout.split("\n\n")[0].split("\n").slice(1).map((l) =>
      l.split("\t")
    ),
  );
  equal(kvb["error.message"], "boom");
  equal(kvb["error.stack"], "Error: boom\\n    at x"); // newline escaped: still one row

  const j = await cli(root, R, ["show", P, "--json"]);
  equal(j.code, 0, j.stderr);
  const data = JSON.parse(j.stdout);
  equal(data.run.id, P);
  equal(data.stats_source, "scan");
  equal(data.paths["value.metrics.acc"].count, 5);
  equal(data.paths["value.metrics.acc"].first, 0.5);
});

Deno.test("run references: latest~N, unique prefix, ambiguity lists candidates, not found", async () => {
  const ok1 = await cli(root, R, ["show", "latest~2", "--json"]);
  equal(JSON.parse(ok1.stdout).run.id, P);
  const amb = await cli(root, R, ["show", "aaaa"]);
  equal(amb.code, 1);
  const line = oneLineError(amb.stderr);
  ok(line.includes(A) && line.includes(P), line);
  const nf = await cli(root, R, ["show", "ffff"]);
  equal(nf.code, 1);
  oneLineError(nf.stderr);
  const far = await cli(root, R, ["show", "latest~3"]);
  equal(far.code, 1);
  const bad = await cli(root, R, ["show", "../../etc/passwd"]);
  equal(bad.code, 2);
  oneLineError(bad.stderr);
});

Deno.test("paths: counts, types, examples; --numeric, --contains, --run", async () => {
  const o = await cli(root, R, ["paths"]);
  equal(o.code, 0, o.stderr);
  const rows = tableObjects(o.stdout);
  const acc = rows.find((r) => r.path === "value.metrics.acc")!;
  equal(acc.numeric, "true");
  equal(acc.count, "14");
  equal(acc.runs, "3");
  deepStrictEqual(JSON.parse(acc.examples).length, 3);
  const loss = await cli(root, R, ["paths", "--numeric", "--contains", "LOSS"]);
  deepStrictEqual(tableObjects(loss.stdout).map((r) => r.path), [
    "value.metrics.loss",
  ]);
  const one = await cli(root, R, ["paths", "--run", A, "--json"]);
  const paths = JSON.parse(one.stdout);
  equal(paths.find((p: { path: string }) => p.path === "value.step").count, 5);
  equal(paths.find((p: { path: string }) => p.path === "value.step").runs, 1);
});

Deno.test("values --run: rows with time, elapsed, value, note and line; the run and file named once", async () => {
  const o = await cli(root, R, [
    "values",
    "value.metrics.loss",
    "--run",
    A,
    "--limit",
    "2",
  ]);
  equal(o.code, 0, o.stderr);
  equal(
    o.stderr,
    `exprag: note: run ${A}, lines of .exprag/runs/${A}.jsonl\n`,
  );
  const rows = tableObjects(o.stdout);
  equal(rows.length, 2);
  deepStrictEqual(
    rows.map((r) => [r.run, r.elapsed_ms, r.value, r.note, r.line]),
    [
      [
        undefined, // no run column: one run
        "10",
        "1",
        "training metrics after each step",
        "2",
      ],
      [
        undefined,
        "20",
        "0.5",
        "", // the same note as the row above: shown once
        "3",
      ],
    ],
  );
  // an object path: the whole metrics history of a run in one call
  const m = await cli(root, R, [
    "values",
    "value.metrics",
    "--run",
    "latest",
    "--json",
  ]);
  const vals = JSON.parse(m.stdout);
  equal(vals.length, 4);
  deepStrictEqual(vals[3].value, { loss: "NaN", acc: "NaN" });
  equal(vals[3].source, `.exprag/runs/${B}.jsonl:5`);
});

Deno.test("best: default by last (stated), NaN last and never first, --min --by, --where, missing path", async () => {
  const o = await cli(root, R, [
    "best",
    "value.metrics.acc",
    "--top",
    "3",
    "--status",
    "any",
  ]);
  equal(o.code, 0, o.stderr);
  const rows = tableObjects(o.stdout);
  deepStrictEqual(rows.map((r) => [r.rank, r.id, r.by, r.direction]), [
    ["1", A, "last", "max"],
    ["2", P, "last", "max"],
    ["3", B, "last", "max"],
  ]);
  equal(rows[2].value, "NaN");
  equal(Number(rows[0].value).toFixed(2), "0.92");

  const min = await cli(root, R, [
    "best",
    "value.metrics.loss",
    "--min",
    "--by",
    "min",
    "--json",
    "--status",
    "any",
  ]);
  const r = JSON.parse(min.stdout);
  equal(r.by, "min");
  equal(r.direction, "min");
  equal(r.considered, 3);
  equal(r.rows.length, 1);
  equal(r.rows[0].value, 0.2);

  const w = await cli(root, R, [
    "best",
    "value.metrics.acc",
    "--where",
    "metadata.hparams.batch_size = 64",
    "--status",
    "any",
  ]);
  deepStrictEqual(tableObjects(w.stdout).map((x) => x.id), [P]);
  const since = await cli(root, R, [
    "best",
    "value.metrics.acc",
    "--since",
    "2d",
    "--top",
    "5",
    "--status",
    "any",
  ]);
  deepStrictEqual(tableObjects(since.stdout).map((x) => x.id), [B]);

  const missing = await cli(root, R, ["best", "value.metrics.nope"]);
  equal(missing.code, 1);
  match(
    oneLineError(missing.stderr),
    /no run has a numeric value at value\.metrics\.nope/,
  );
});

Deno.test("compare: differing fields, shared paths with last/min/max, the diff command", async () => {
  const o = await cli(root, R, ["compare", "latest~1", "latest"]);
  equal(o.code, 0, o.stderr);
  const [fields, paths, rest] = o.stdout.trimEnd().split("\n\n");
  equal(rest, undefined); // the diff command is named once, in the code row
  const f = Object.fromEntries(
    fields.split("\n").slice(1).map((
      l,
    ) => [l.split("\t")[0], l.split("\t").slice(1)]),
  );
  deepStrictEqual(f.id, [A, B]);
  deepStrictEqual(f.status, ["finished", "failed"]);
  deepStrictEqual(f["metadata.hparams.learning_rate"], ["0.03", "0.01"]);
  deepStrictEqual(f["metadata.hparams.batch_size"], ["32", "16"]);
  const p = tableObjects(paths);
  const step = p.find((r) => r.path === "value.step")!;
  deepStrictEqual([step.a_last, step.b_last, step.last_delta], [
    "4",
    "3",
    "-1",
  ]);
  const acc = p.find((r) => r.path === "value.metrics.acc")!;
  equal(acc.b_last, "NaN");
  equal(acc.last_delta, "");
  match(f.code[0], new RegExp(`: exprag diff ${A} ${B}\\b`));
  const j = JSON.parse(
    (await cli(root, R, ["compare", A, B, "--json"])).stdout,
  );
  equal(j.code_diff, `exprag diff ${A} ${B}`);
  ok(
    j.metadata.some((d: { path: string }) =>
      d.path === "metadata.hparams.learning_rate"
    ),
  );
});

Deno.test("git: code-state table from the records", async () => {
  const o = await cli(root, R, ["git"]);
  equal(o.code, 0, o.stderr);
  const rows = tableObjects(o.stdout);
  deepStrictEqual(Object.keys(rows[0]), [
    "id",
    "name",
    "started",
    "commit",
    "branch",
    "dirty",
    "base",
    "head_branch",
  ]);
  const p = rows.find((r) => r.id === P)!;
  deepStrictEqual([p.commit, p.branch, p.dirty], [
    "0123456789abcdef0123456789abcdef01234567",
    "main",
    "false",
  ]);
  const j = JSON.parse(
    (await cli(root, R, ["git", "--json", "--limit", "1"])).stdout,
  );
  deepStrictEqual(j.map((r: { id: string }) => r.id), [B]);
});

Deno.test("exit codes: usage 2, not found 1, help and version 0; errors are one line", async () => {
  for (
    const args of [
      ["nope"],
      ["runs", "--bogus"],
      ["best"],
      ["runs", "--since", "yesterdayish"],
      ["runs", "--where", "bogus.x = 1"],
      [],
    ]
  ) {
    const o = await cli(root, R, args);
    equal(o.code, 2, `${args.join(" ")}: ${o.stderr}`);
    oneLineError(o.stderr);
    equal(o.stdout, "");
    // the hint names the help of the command given, when there is one
    const hint = args[0] === undefined || args[0] === "nope"
      ? "exprag --help"
      : `exprag ${args[0]} --help`;
    ok(o.stderr.trimEnd().endsWith(`(see ${hint})`), o.stderr);
  }
  const help = await cli(root, [], ["--help"]);
  equal(help.code, 0);
  match(help.stdout, /^exprag \d+\.\d+\.\d+: /);
  const h = await cli(root, [], ["best", "-h"]);
  equal(h.code, 0);
  match(h.stdout, /Usage: exprag best PATH/);
  const v = await cli(root, [], ["--version"]);
  equal(v.code, 0);
  match(v.stdout, /^\d+\.\d+\.\d+\n$/);
});

Deno.test("--strict: an invalid line is an error naming file:line", async () => {
  const o = await cli(root, R, ["runs", "--strict"]);
  equal(o.code, 1);
  const line = oneLineError(o.stderr);
  ok(line.includes(`.exprag/runs/${B}.jsonl:7: torn line`), line);
});

Deno.test("--dir and $EXPRAG_DIR (with --allow-env=EXPRAG_DIR), the runs dir itself", async () => {
  const elsewhere = tempDir("exprag-cli-cwd-");
  const abs = join(root, ".exprag");
  const d = await cli(elsewhere, [`--allow-read=${abs}`], [
    "runs",
    "--dir",
    abs,
    "--json",
  ]);
  equal(d.code, 0, d.stderr);
  equal(JSON.parse(d.stdout).length, 3);
  const runsDir = join(abs, "runs");
  const rd = await cli(elsewhere, [`--allow-read=${runsDir}`], [
    "runs",
    "--dir",
    runsDir,
    "--json",
  ]);
  equal(JSON.parse(rd.stdout).length, 3, rd.stderr);
  const env = await cli(
    elsewhere,
    [`--allow-read=${abs}`, "--allow-env=EXPRAG_DIR"],
    ["runs", "--json"],
    {
      EXPRAG_DIR: abs,
    },
  );
  equal(env.code, 0, env.stderr);
  equal(JSON.parse(env.stdout).length, 3);
  // without env permission EXPRAG_DIR is ignored (never a prompt): .exprag is used
  const noEnv = await cli(elsewhere, [`--allow-read=${abs}`], ["runs"], {
    EXPRAG_DIR: abs,
  });
  equal(noEnv.code, 1);
  match(
    oneLineError(noEnv.stderr),
    /read permission for \.exprag not granted; add --allow-read=\.exprag/,
  );
});

Deno.test("an empty or missing exprag directory lists no runs", async () => {
  const empty = tempDir("exprag-cli-empty-");
  const o = await cli(empty, R, ["runs"]);
  equal(o.code, 0, o.stderr);
  equal(
    o.stdout,
    "id\tname\tstatus\tstarted\tlast\tduration_s\trecords\tcommit\tbranch\tdirty\tmetadata\n",
  );
  const j = await cli(empty, R, ["runs", "--json"]);
  deepStrictEqual(JSON.parse(j.stdout), []);
  const s = await cli(empty, R, ["show", "latest"]);
  equal(s.code, 1);
  oneLineError(s.stderr);
});

Deno.test("hostile record strings cannot split rows or reach the terminal", async () => {
  const hroot = tempDir("exprag-cli-hostile-");
  const hdir = makeExprag(hroot);
  const evil = "evil\tname\nfake\trow\x1b[2J\x07\u202e";
  const id = writeDenoRun(hdir, {
    name: evil,
    end: "finished",
    metadata: { "k\ney": "v\tal", note: "\x1b]0;title\x07" },
    git: {
      commit: "--upload-pack=touch /tmp/pwned",
      branch: "-c core.sshCommand=x",
      dirty: "\n",
    },
    tracks: [{ value: { "a\tb": 1, s: "x\ny" }, note: "n\r\no\x1b[31m" }],
  });
  for (
    const args of [
      ["runs"],
      ["show", id],
      ["paths"],
      ["values", "value.s"],
      ["git"],
      ["best", "value.a\tb"],
      [
        "compare",
        id,
        id,
      ],
    ]
  ) {
    const o = await cli(hroot, R, args);
    equal(o.code, 0, `${args.join(" ")}: ${o.stderr}`);
    ok(
      // deno-lint-ignore no-control-regex
      !/[\x00-\x08\x0b-\x1f\x7f\u202e]/.test(o.stdout),
      `control characters in ${args.join(" ")}: ${JSON.stringify(o.stdout)}`,
    );
    for (const section of o.stdout.replace(/\n+$/, "").split("\n\n")) {
      const lines = section.split("\n");
      const width = lines[0].split("\t").length;
      for (const l of lines) {
        equal(
          l.split("\t").length,
          width,
          `row split in ${args.join(" ")}: ${JSON.stringify(l)}`,
        );
      }
    }
  }
  const runs = tableObjects((await cli(hroot, R, ["runs"])).stdout);
  equal(runs.length, 1);
  equal(runs[0].name, "evil\\tname\\nfake\\trow\\x1b[2J\\x07\\u202e");
});

Deno.test("mod.ts as the main module runs the CLI (deno run jsr:@exprag/cli <command>)", async () => {
  const mod = new URL("../mod.ts", import.meta.url).href;
  const o = await run(Deno.execPath(), [
    "run",
    "--no-prompt",
    "--no-config",
    ...R,
    mod,
    "runs",
    "--limit",
    "1",
  ], {
    cwd: root,
  });
  equal(o.code, 0, o.stderr);
  deepStrictEqual(tableObjects(o.stdout).map((r) => r.id), [B]);
  const s = await run(Deno.execPath(), [
    "run",
    "--no-prompt",
    "--no-config",
    mod,
    "skill",
  ], { cwd: root });
  equal(s.code, 0, s.stderr);
  match(s.stdout, /^---\nname: exprag\n/);
});
