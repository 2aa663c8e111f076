// `exprag export`: the runs as CSV, TSV and JSON Lines, loaded into DuckDB
// (npm:@duckdb/node-api, pinned in bench/lib.ts) the way a user would, must
// answer "which run is best" as `exprag best` does; DuckDB's read_json over
// the run files themselves too, with the SQL the README documents. The
// fixture mixes our runs (finished, failed, NaN, Infinity) with one in the
// Python exprag's shape, and odd names and metadata.
import {
  deepStrictEqual as deepEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { DUCKDB } from "../bench/lib.ts";
import { COMMANDS } from "../src/cli/command.ts";
import { csvField, tsvField } from "../src/cli/export_format.ts";
import { flagFor } from "../src/permissions.ts";
import { hasCommand, IMPORT_TRACKER, ROOT, tempDir } from "./_helpers.ts";
import { underPty } from "./_pty.ts";
import { spawnReady } from "./_query_fixtures.ts";
import {
  cli,
  history,
  makeExprag,
  type Track,
  writeDenoRun,
  writePythonRun,
} from "./_cli_fixtures.ts";

interface Reader {
  getRowObjectsJS(): Record<string, unknown>[];
}
interface Connection {
  runAndReadAll(sql: string): Promise<Reader>;
}
const { DuckDBInstance } = await import(DUCKDB) as {
  DuckDBInstance: {
    create(
      path: string,
      options: Record<string, string>,
    ): Promise<{ connect(): Promise<Connection> }>;
  };
};

const ODD_NAME = 'odd, "name"\nwith a newline, a tab\t and ✓ 名前';
const ODD_NOTE = 'comma, "quote" \\ backslash\r\nCRLF é';

const D1 = "d1000000-0000-4000-8000-000000000001";
const D2 = "d2000000-0000-4000-8000-000000000002";
const D3 = "d3000000-0000-4000-8000-000000000003";
const D4 = "d4000000-0000-4000-8000-000000000004";
const D5 = "d5000000-0000-4000-8000-000000000005";
const P1 = "00000000-0000-4000-8000-0000000000b1";

function accs(values: (number | string)[]): Track[] {
  return values.map((acc, step) => ({
    value: { step, metrics: { acc, loss: 1 / (step + 1) } },
  }));
}

/**
 * Six runs: D2 has the best last accuracy among the finished ones (0.9);
 * D3 peaked highest (0.99) but ended NaN; D4 failed and P1 (Python shape,
 * no run_end) have higher accuracies but are not finished; D5 recorded an
 * infinite loss.
 */
function fixture(): { root: string; dir: string } {
  const dir = makeExprag();
  const t = (h: number) => new Date(Date.UTC(2026, 10, 20, h));
  writeDenoRun(dir, {
    id: D1,
    name: ODD_NAME,
    start: t(1),
    metadata: { hparams: { lr: 0.1, batch_size: 32 }, note: ODD_NOTE },
    tracks: history(3, 0.6, 0.1), // last 0.8
    end: "finished",
  });
  writeDenoRun(dir, {
    id: D2,
    name: "baseline",
    start: t(2),
    metadata: { hparams: { lr: 0.01 }, "a.b": [1, "x"] },
    tracks: accs([0.5, 0.7, 0.9]),
    end: "finished",
  });
  writeDenoRun(dir, {
    id: D3,
    name: "diverged",
    start: t(3),
    metadata: { hparams: { lr: 1 } },
    tracks: accs([0.5, 0.99, "NaN"]),
    end: "finished",
  });
  writeDenoRun(dir, {
    id: D4,
    name: "failed",
    start: t(4),
    tracks: accs([0.95]),
    end: "failed",
  });
  writePythonRun(dir, {
    id: P1,
    name: "python run",
    start: t(5),
    metadata: { hparams: { lr: 0.5 } },
    tracks: accs([0.97]),
  });
  writeDenoRun(dir, {
    id: D5,
    name: "exploded",
    start: t(6),
    tracks: [
      { value: { metrics: { acc: 0.1, loss: "Infinity" } } },
      { value: { metrics: { acc: 0.2, loss: "-Infinity" } } },
    ],
    end: "finished",
  });
  return { root: join(dir, ".."), dir };
}

async function duck(): Promise<Connection> {
  const db = await DuckDBInstance.create(":memory:", { threads: "1" });
  return await db.connect();
}

async function rows(
  con: Connection,
  sql: string,
): Promise<Record<string, unknown>[]> {
  return (await con.runAndReadAll(sql)).getRowObjectsJS();
}

const READ = ["--allow-read=.exprag"];

async function bestId(root: string, by = "last"): Promise<string> {
  const o = await cli(root, READ, [
    "best",
    "value.metrics.acc",
    "--by",
    by,
    "--json",
  ]);
  equal(o.code, 0, o.stderr);
  const best = JSON.parse(o.stdout) as { rows: { run: { id: string } }[] };
  return best.rows[0].run.id;
}

/** The ```sql blocks of the README's "DuckDB, pandas, Spark" section, in order. */
function readmeSql(): string[] {
  const text = Deno.readTextFileSync(join(ROOT, "README.md"));
  const start = text.indexOf("### DuckDB, pandas, Spark");
  ok(start >= 0, "README has a DuckDB, pandas, Spark section");
  const section = text.slice(start, text.indexOf("\n## ", start));
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** SQL quoting of a path in a string literal. */
function lit(path: string): string {
  return `'${path.replaceAll("'", "''")}'`;
}

Deno.test("export --output runs.csv loads into DuckDB and the README's SQL picks the run exprag best picks", async () => {
  const { root } = fixture();
  const flags = COMMANDS.find((c) => c.name === "export")!
    .permissions({ dir: ".exprag", options: { output: "runs.csv" } })
    .map(flagFor);
  deepEqual(flags, [
    "--allow-read=.exprag",
    "--allow-read=runs.csv",
    "--allow-write=runs.csv",
  ]);
  const o = await cli(root, flags, ["export", "--output", "runs.csv"]);
  equal(o.code, 0, o.stderr);
  equal(o.stdout, "");
  equal(o.stderr, "exprag: note: wrote 6 run rows to runs.csv\n");
  const csv = join(root, "runs.csv");
  const con = await duck();
  const [sql] = readmeSql();
  const best = await rows(con, sql.replace("'runs.csv'", lit(csv)));
  equal(best.length, 1);
  equal(best[0].id, await bestId(root));
  equal(best[0].id, D2);

  const all = await rows(con, `SELECT * FROM read_csv(${lit(csv)})`);
  deepEqual(all.map((r) => r.id), [D1, D2, D3, D4, P1, D5]); // start order
  const by = Object.fromEntries(all.map((r) => [r.id as string, r]));
  equal(by[D1].name, ODD_NAME);
  equal(by[D1]["metadata.note"], ODD_NOTE);
  equal(by[D1]["metadata.hparams.batch_size"], 32n);
  equal(by[D2]['metadata."a.b"'], '[1,"x"]');
  ok(Number.isNaN(by[D3]["value.metrics.acc.last"]));
  equal(by[D3]["value.metrics.acc.max"], 0.99);
  equal(by[D5]["value.metrics.loss.max"], Infinity);
  equal(by[D5]["value.metrics.loss.min"], -Infinity);
  equal(by[D4]["value.metrics.loss.last"], 1);
  equal(by[D4]["metadata.hparams.lr"], null); // missing: empty, read as NULL
  ok(!("metadata" in by[D4])); // no metadata recorded: no bare metadata column
  deepEqual(all.map((r) => r.status), [
    "finished",
    "finished",
    "finished",
    "failed",
    "unknown", // Python shape, another host: no lock to probe
    "finished",
  ]);
  equal(by[P1].records, 1n);
  equal(by[P1]["value.metrics.acc.last"], 0.97); // scanned: no run_end
  const types = Object.fromEntries(
    (await rows(con, `DESCRIBE SELECT * FROM read_csv(${lit(csv)})`))
      .map((r) => [r.column_name, r.column_type]),
  );
  equal(types["value.metrics.acc.last"], "DOUBLE");
  equal(types["value.metrics.loss.max"], "DOUBLE");
  equal(types.started_at, "TIMESTAMP WITH TIME ZONE");
  equal(types.duration_s, "DOUBLE");

  // never overwritten: a second export to the same file is refused
  const before = Deno.readTextFileSync(csv);
  const again = await cli(root, flags, ["export", "--output", "runs.csv"]);
  equal(again.code, 1);
  match(again.stderr, /^exprag: refusing to write runs\.csv: it exists/);
  equal(Deno.readTextFileSync(csv), before);
});

Deno.test("export --format tsv and jsonl load into DuckDB with the same best run and exact odd names", async () => {
  const { root } = fixture();
  const con = await duck();
  const tsv = await cli(root, READ, ["export", "--format", "tsv"]);
  equal(tsv.code, 0, tsv.stderr);
  const lines = tsv.stdout.split("\n");
  equal(lines.length, 8); // header, six rows, final newline: one line each
  ok(lines.every((l) => !l.includes("\r")));
  const tsvFile = join(root, "runs.tsv");
  Deno.writeTextFileSync(tsvFile, tsv.stdout);
  const fromTsv = await rows(
    con,
    `SELECT id, name FROM read_csv(${
      lit(tsvFile)
    }, delim = '\t', quote = '', escape = '')
     WHERE status = 'finished' AND NOT isnan("value.metrics.acc.last")
     ORDER BY "value.metrics.acc.last" DESC`,
  );
  equal(fromTsv[0].id, D2);
  const d1 = fromTsv.find((r) => r.id === D1)!;
  equal(d1.name, ODD_NAME.replace("\n", "\\n").replace("\t", "\\t"));

  for (const args of [["--format", "jsonl"], ["--json"]]) {
    const jl = await cli(root, READ, ["export", ...args]);
    equal(jl.code, 0, jl.stderr);
    const objects = jl.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    equal(objects.length, 6);
    deepEqual(Object.keys(objects[0]), Object.keys(objects[5])); // every column
    equal(objects[0].name, ODD_NAME);
    deepEqual(objects[1]['metadata."a.b"'], [1, "x"]);
    equal(objects[2]["value.metrics.acc.last"], "NaN");
    const file = join(root, "runs.jsonl");
    Deno.writeTextFileSync(file, jl.stdout);
    const fromJson = await rows(
      con,
      `SELECT id, name, CAST("value.metrics.acc.last" AS DOUBLE) AS acc
       FROM read_json_auto(${lit(file)})
       WHERE status = 'finished' AND NOT isnan(acc) ORDER BY acc DESC`,
    );
    equal(fromJson[0].id, await bestId(root));
    equal(fromJson.find((r) => r.id === D1)!.name, ODD_NAME);
  }
});

Deno.test("export --records loads into DuckDB and each run's maximum ranks as exprag best --by max", async () => {
  const { root } = fixture();
  const out = await cli(root, READ, [
    "export",
    "--records",
    "value.metrics.acc",
    "--status",
    "finished",
    "--output",
    "x.csv",
  ]);
  equal(out.code, 1); // --output needs its own flags
  match(out.stderr, /add --allow-read=x\.csv/);
  const o = await cli(root, READ, [
    "export",
    "--records",
    "value.metrics.acc",
    "--status",
    "finished",
  ]);
  equal(o.code, 0, o.stderr);
  const header = o.stdout.split("\n")[0];
  equal(header, "run,elapsed_ms,created_at,path,value");
  const file = join(root, "acc.csv");
  Deno.writeTextFileSync(file, o.stdout);
  const con = await duck();
  const [, , recordsSql] = readmeSql();
  const best = await rows(con, recordsSql.replace("'acc.csv'", lit(file)));
  equal(best[0].run, await bestId(root, "max"));
  equal(best[0].run, D3); // peaked at 0.99, then NaN
  const counts = await rows(
    con,
    `SELECT run, count(*) AS n, count(*) FILTER (WHERE isnan(value)) AS nans
     FROM read_csv(${lit(file)}) GROUP BY run ORDER BY run`,
  );
  deepEqual(counts.map((r) => [r.run, r.n, r.nans]), [
    [D1, 3n, 0n],
    [D2, 3n, 0n],
    [D3, 3n, 1n],
    [D5, 2n, 0n],
  ]);
});

Deno.test("export --records: a path written several ways is exported once, as the columns write it; a path with no values gets a note with a suggestion", async () => {
  const { root } = fixture();
  const o = await cli(root, READ, [
    "export",
    "--records",
    "value.metrics.acc",
    'value."metrics"."acc"',
    "value..metrics.acc",
    "metrics.acc",
    "--status",
    "finished",
  ]);
  equal(o.code, 0, o.stderr);
  const lines = o.stdout.trimEnd().split("\n").slice(1);
  equal(lines.length, 11); // D1, D2, D3: 3 values each, D5: 2
  ok(lines.every((l) => l.split(",")[3] === "value.metrics.acc"), o.stdout);
  equal(
    o.stderr,
    "exprag: note: no values at metrics.acc; did you mean value.metrics.acc? see exprag paths\n",
  );
});

Deno.test("export: metadata keys with commas, quotes, newlines, tabs, backslashes, unicode and case twins load into DuckDB under the exported names, with their values", async () => {
  const dir = makeExprag();
  const root = join(dir, "..");
  const keys = [
    "a,b",
    'q"uote',
    "new\nline",
    "tab\tkey",
    "名前✓",
    "a.b",
    "",
    " sp",
    "back\\slash",
    "x=1",
    "Lr",
  ];
  const metadata: Record<string, unknown> = Object.fromEntries(
    keys.map((k, i) => [k, i]),
  );
  metadata.nested = { "in,ner": 'v,"\n' };
  writeDenoRun(dir, {
    id: D1,
    name: "odd keys",
    metadata,
    tracks: [{ value: { "m,1": 1, 'm"2': 2, "m.3": 3 } }],
    end: "finished",
  });
  writePythonRun(dir, { id: P1, metadata: { lr: 0.5 }, tracks: accs([0.5]) });
  const con = await duck();
  for (const format of ["csv", "jsonl"]) {
    const o = await cli(root, READ, ["export", "--format", format]);
    equal(o.code, 0, o.stderr);
    const file = join(root, `runs.${format}`);
    Deno.writeTextFileSync(file, o.stdout);
    const exported = format === "jsonl"
      ? Object.keys(JSON.parse(o.stdout.split("\n")[0]))
      : (await rows(
        con,
        `SELECT * FROM read_csv(${lit(file)}, header = false) LIMIT 1`,
      )).flatMap((r) => Object.values(r) as string[]);
    const reader = format === "csv" ? "read_csv" : "read_json_auto";
    const got = await con.runAndReadAll(
      `SELECT * FROM ${reader}(${lit(file)}) ORDER BY id DESC`,
    );
    const names = (got as unknown as { columnNames(): string[] })
      .columnNames();
    // DuckDB's names are case-insensitive: the second of metadata.Lr and
    // metadata.lr gets a suffix; every other name is the exported one
    deepEqual(
      names,
      exported.map((n) => n === "metadata.lr" ? "metadata.lr_1" : n),
    );
    const [d1, p1] = got.getRowObjectsJS();
    for (const [i, k] of keys.entries()) {
      const column = exported.find((n) =>
        n === `metadata.${k}` || n === `metadata.${JSON.stringify(k)}`
      );
      ok(column !== undefined, k);
      equal(Number(d1[column]), i, column);
    }
    equal(d1["metadata.nested.in,ner"], 'v,"\n');
    equal(Number(d1['value."m\\"2".last']), 2);
    equal(Number(d1['value."m.3".max']), 3);
    equal(Number(d1["value.m,1.min"]), 1);
    equal(Number(p1["metadata.lr_1"]), 0.5);
  }
});

Deno.test("DuckDB read_json over .exprag/runs/*.jsonl as they are, with the README's SQL, picks the run exprag best picks", async () => {
  const { root, dir } = fixture();
  const [, sql] = readmeSql();
  ok(sql.includes("'.exprag/runs/*.jsonl'"));
  const con = await duck();
  const best = await rows(
    con,
    sql.replace("'.exprag/runs/*.jsonl'", lit(join(dir, "runs", "*.jsonl"))),
  );
  equal(best.length, 1);
  equal(best[0].run_id, await bestId(root));
  equal(best[0].acc, 0.9);
});

Deno.test("the README's read_json SQL still answers when a crashed run ends in a torn line (kill -9 mid-write, or a live run mid-line)", async () => {
  const { root, dir } = fixture();
  writeDenoRun(dir, {
    id: "d6000000-0000-4000-8000-000000000006",
    name: "killed",
    tracks: accs([0.95]),
    tail: '{"schema_version":1,"kind":"tra',
  });
  const [, sql] = readmeSql();
  const con = await duck();
  const best = await rows(
    con,
    sql.replace("'.exprag/runs/*.jsonl'", lit(join(dir, "runs", "*.jsonl"))),
  );
  equal(best[0].run_id, await bestId(root));
});

Deno.test("export filters by --where, --since, --until and --status, and rejects bad invocations with exit 2", async () => {
  const { root } = fixture();
  const ids = async (args: string[]) => {
    const o = await cli(root, READ, ["export", "--format", "jsonl", ...args]);
    equal(o.code, 0, o.stderr);
    return o.stdout.trimEnd().split("\n").filter((l) => l !== "")
      .map((l) => JSON.parse(l).id);
  };
  deepEqual(await ids(["--where", "metadata.hparams.lr", "=", "0.1"]), [D1]);
  deepEqual(await ids(["--where", "value.metrics.acc > 0.85"]), [D2, D4, P1]);
  deepEqual(await ids(["--status", "failed"]), [D4]);
  deepEqual(
    await ids([
      "--status",
      "failed,finished",
      "--since",
      "2026-11-20T03:00:00Z",
    ]),
    [D3, D4, D5],
  );
  deepEqual(await ids(["--until", "2026-11-20T01:30:00Z"]), [D1]);
  deepEqual(await ids(["--where", "name = nothing"]), []);
  const none = await cli(root, READ, [
    "export",
    "--where",
    "metadata.batch_size = 32",
  ]);
  equal(none.code, 0);
  match(none.stdout, /^id,name,status,/); // the header, no row
  equal(none.stdout.split("\n").length, 2);
  match(none.stderr, /^exprag: note: no run has metadata\.batch_size/);
  for (
    const [args, text] of [
      [["export", "value.metrics.acc"], /only taken with --records/],
      [["export", "--records"], /--records needs at least one PATH/],
      [["export", "--json", "--format", "csv"], /disagree/],
      [["export", "--format", "xml"], /format/],
      [["export", "--status", "done"], /unknown status "done"/],
      [["export", "--records", 'value."open'], /path/i],
    ] as const
  ) {
    const o = await cli(root, READ, [...args]);
    equal(o.code, 2, `${args.join(" ")}: ${o.stderr}`);
    match(o.stderr, text);
    equal(o.stdout, "");
  }
});

Deno.test("export --output never writes through a symbolic link, nor into a missing directory, and leaves no partial file", async () => {
  const { root } = fixture();
  const outside = join(tempDir("exprag-export-outside-"), "victim.csv");
  Deno.writeTextFileSync(outside, "precious\n");
  Deno.symlinkSync(outside, join(root, "link.csv"));
  Deno.symlinkSync(join(root, "nowhere.csv"), join(root, "dangling.csv"));
  Deno.mkdirSync(join(root, "real"));
  Deno.symlinkSync(join(root, "real"), join(root, "linkdir"));
  const flagsFor = (path: string) =>
    COMMANDS.find((c) => c.name === "export")!
      .permissions({ dir: ".exprag", options: { output: path } })
      .map(flagFor);
  for (const path of ["link.csv", "dangling.csv", "linkdir/x.csv"]) {
    const o = await cli(root, flagsFor(path), ["export", "--output", path]);
    equal(o.code, 1, o.stderr);
    match(o.stderr, /^exprag: refusing to write .*symbolic link/);
  }
  equal(Deno.readTextFileSync(outside), "precious\n");
  ok(!(await Deno.lstat(join(root, "nowhere.csv")).catch(() => null)));
  deepEqual([...Deno.readDirSync(join(root, "real"))], []);

  for (const path of [".exprag/runs/x.jsonl", ".exprag/x.csv"]) {
    const inside = await cli(root, flagsFor(path), [
      "export",
      "--output",
      path,
    ]);
    equal(inside.code, 1);
    match(inside.stderr, /inside the exprag directory/);
    ok(!(await Deno.lstat(join(root, path)).catch(() => null)));
  }
  const missing = await cli(root, flagsFor("no/dir/x.csv"), [
    "export",
    "--output",
    "no/dir/x.csv",
  ]);
  equal(missing.code, 1);
  equal(
    missing.stderr,
    "exprag: cannot write no/dir/x.csv: directory no/dir does not exist\n",
  );
  // a strict read failing halfway leaves no file behind
  Deno.writeTextFileSync(
    join(root, ".exprag", "runs", `${crypto.randomUUID()}.jsonl`),
    "{torn",
  );
  const strict = await cli(root, flagsFor("s.csv"), [
    "export",
    "--strict",
    "--output",
    "s.csv",
  ]);
  equal(strict.code, 1, strict.stderr);
  ok(!(await Deno.lstat(join(root, "s.csv")).catch(() => null)));
  // tolerant: the bad file is reported once (two passes), the rest exported
  const tolerant = await cli(root, flagsFor("t.csv"), [
    "export",
    "--output",
    "t.csv",
  ]);
  equal(tolerant.code, 0, tolerant.stderr);
  const warnings = tolerant.stderr.split("\n").filter((l) =>
    /jsonl:1:/.test(l)
  );
  equal(warnings.length, 1, tolerant.stderr);
  match(tolerant.stderr, /wrote 6 run rows to t\.csv/);
});

Deno.test("export of a live run that keeps writing: status running, its rows complete, no torn-line warning, loadable", async () => {
  const { root, dir } = fixture();
  const { kill } = await spawnReady(`${IMPORT_TRACKER}
const exp = new Experiment("live", { git: false, dir: ${JSON.stringify(dir)} });
let step = 0;
const track = () => {
  const s = step++;
  // a path that appears only later: a second pass may see it, the header not
  exp.track(s < 300 ? { metrics: { acc: s / 1e4 } } : { metrics: { acc: s / 1e4, late: s } });
};
for (let i = 0; i < 200; i++) track();
console.log("ready");
while (true) { track(); if (step % 20 === 0) await new Promise((r) => setTimeout(r, 1)); }
`);
  try {
    for (const format of ["csv", "jsonl"]) {
      const file = `live.${format}`;
      const o = await cli(root, [
        "--allow-read=.exprag",
        `--allow-read=${file}`,
        `--allow-write=${file}`,
      ], ["export", "--format", format, "--output", file]);
      equal(o.code, 0, o.stderr);
      equal(o.stderr, `exprag: note: wrote 7 run rows to ${file}\n`);
      const con = await duck();
      const path = lit(join(root, file));
      const live = await rows(
        con,
        format === "csv"
          ? `SELECT * FROM read_csv(${path}) WHERE name = 'live'`
          : `SELECT * FROM read_json_auto(${path}) WHERE name = 'live'`,
      );
      equal(live.length, 1);
      equal(live[0].status, "running");
      ok(Number(live[0].records) >= 200);
      ok(Number(live[0]["value.metrics.acc.last"]) >= 0.0199);
    }
    const values = await cli(root, READ, [
      "export",
      "--records",
      "value.metrics.acc",
      "--where",
      "status = running",
    ]);
    equal(values.code, 0, values.stderr);
    equal(values.stderr, "");
    ok(values.stdout.split("\n").length > 200);
  } finally {
    await kill();
  }
});

Deno.test("export fields: CSV quotes only what RFC 4180 needs, TSV escapes so a row stays one line", () => {
  deepEqual(
    [null, "", "a", "a,b", 'q"', "cr\r", "lf\n", " pad ", 1.5, true, [1, "x"]]
      .map(csvField),
    [
      "",
      '""',
      "a",
      '"a,b"',
      '"q"""',
      '"cr\r"',
      '"lf\n"',
      " pad ",
      "1.5",
      "true",
      '"[1,""x""]"',
    ],
  );
  deepEqual(
    [null, "", "t\tb", "l\nf", "c\r", "back\\slash", '"q"', "NaN", { a: 1 }]
      .map(tsvField),
    [
      "",
      "",
      "t\\tb",
      "l\\nf",
      "c\\r",
      "back\\\\slash",
      '"q"',
      "NaN",
      '{"a":1}',
    ],
  );
});

Deno.test("export fields: every number is written as String() writes it (finite ones, -0, NaN, the infinities), in CSV and TSV alike", () => {
  const bits = new DataView(new ArrayBuffer(8));
  const numbers = [
    0,
    -0,
    1,
    -1.5,
    5e-324,
    1e21,
    1e-7,
    123456789012345680000,
    NaN,
    Infinity,
    -Infinity,
    Number.MAX_VALUE,
    0.1 + 0.2,
  ];
  for (let i = 0; i < 20_000; i++) {
    // random bit patterns: every exponent and mantissa, not only [0, 1)
    bits.setUint32(0, Math.random() * 2 ** 32);
    bits.setUint32(4, Math.random() * 2 ** 32);
    numbers.push(bits.getFloat64(0), Math.random() * 10 ** (i % 40 - 20));
  }
  for (const x of numbers) {
    equal(csvField(x), String(x), `csv ${x}`);
    equal(tsvField(x), String(x), `tsv ${x}`);
  }
});

Deno.test("export on a terminal shows a run name's escape sequences escaped; a pipe gets the exact bytes", async () => {
  const dir = makeExprag();
  const root = join(dir, "..");
  const evil = "red \x1b[31m\u202e\x07 name";
  writeDenoRun(dir, { name: evil, tracks: accs([0.5]), end: "finished" });
  const piped = await cli(root, READ, ["export", "--format", "jsonl"]);
  equal(JSON.parse(piped.stdout).name, evil);
  const csv = await cli(root, READ, ["export"]);
  ok(csv.stdout.includes(evil));
  if (!hasCommand("script")) return; // no pseudo-terminal here
  const tty = await underPty(root, {
    name: "export",
    flags: ["--no-prompt", ...READ],
    args: ["export"],
  });
  equal(tty.code, 0, tty.text);
  for (const raw of ["\x1b", "\u202e", "\x07"]) {
    ok(!tty.text.includes(raw), JSON.stringify(tty.text));
  }
  ok(tty.text.includes("red \\x1b[31m\\u202e\\x07 name"), tty.text);
});
