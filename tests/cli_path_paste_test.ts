// Paths printed by exprag work when pasted back (issue 9, "keys containing
// dots"): keys with a lone surrogate, a tab, a backslash, a bidi override,
// a dot or nothing, recorded by real tracker processes (one run ended with
// its run_end summary, one without run_end as after a crash), listed by the
// real CLI and pasted into `values`, `best` and `--where`. Plus the `~`
// pattern that is no regular expression, and `compare` past 1024 paths.
import assert from "node:assert/strict";
import { join } from "node:path";
import { IMPORT_TRACKER, runScript, tempDir } from "./_helpers.ts";
import { cli, oneLine, parseTable } from "./_cli_fixtures.ts";
import { childPath } from "../src/value_path.ts";

const READ = ["--allow-read=.exprag"];
const KEYS = ["\ud800", "t\tk", "C:\\data", "a\u202eb", "val.acc", ""];

/**
 * Records a run tracking every key of KEYS (and `{val: {acc}}`) for three
 * steps: key `i` at step `s` is `base + 100 * i + s`; returns its id.
 */
async function record(cwd: string, base: number): Promise<string> {
  const out = await runScript(
    cwd,
    IMPORT_TRACKER +
      `const keys = JSON.parse(${JSON.stringify(JSON.stringify(KEYS))});
const exp = new Experiment("odd keys", { git: false });
for (let s = 0; s < 3; s++) {
  const v: Record<string, unknown> = { val: { acc: ${base} + 900 + s } };
  keys.forEach((k: string, i: number) => v[k] = ${base} + 100 * i + s);
  exp.track(v);
}
exp.end();
console.log(exp.runId);\n`,
    ["--allow-write=.exprag"],
  );
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.trim();
}

/** Removes the run_end record of a run file (as a crashed process leaves it). */
function dropRunEnd(cwd: string, id: string): void {
  const file = join(cwd, ".exprag", "runs", `${id}.jsonl`);
  const lines = Deno.readTextFileSync(file).split("\n");
  const kept = lines.filter((l) => !l.includes('"kind":"run_end"'));
  assert.equal(kept.length, lines.length - 1, "one run_end dropped");
  Deno.writeTextFileSync(file, kept.join("\n"));
}

Deno.test("every path paths prints, from the table or --json, finds that key's values in values, best and --where", async () => {
  const cwd = tempDir("exprag-paste-");
  const ended = await record(cwd, 0);
  const crashed = await record(cwd, 10_000);
  dropRunEnd(cwd, crashed);
  const expected = new Map<string, number>(
    KEYS.map((k, i) => [childPath("value", k), 100 * i]),
  );
  expected.set("value.val.acc", 900);

  const shown = await cli(cwd, READ, ["paths"]);
  assert.equal(shown.code, 0, shown.stderr);
  const fromTable = parseTable(shown.stdout).rows.map((r) => r[0]);
  const listed = await cli(cwd, READ, ["paths", "--json"]);
  assert.equal(listed.code, 0, listed.stderr);
  const fromJson = (JSON.parse(listed.stdout) as { path: string }[]).map((p) =>
    p.path
  );
  assert.deepEqual(
    fromTable,
    fromJson,
    "the table shows paths as --json has them",
  );
  assert.deepEqual(new Set(fromJson), new Set(expected.keys()));
  for (const p of fromTable) {
    // a printed path is display-safe: printable characters only
    assert.match(p, /^[\x20-\x7e]+$/, p);
  }

  let checked = 0;
  await Promise.all(fromTable.map(async (path) => {
    checked++;
    const offset = expected.get(path)!;
    for (const [id, base] of [[ended, 0], [crashed, 10_000]] as const) {
      const v = await cli(cwd, READ, ["values", path, "--run", id, "--json"]);
      assert.equal(v.code, 0, `values ${path} --run ${id}: ${v.stderr}`);
      assert.deepEqual(
        (JSON.parse(v.stdout) as { value: number }[]).map((r) => r.value),
        [0, 1, 2].map((s) => base + offset + s),
        `values ${path} --run ${id}`,
      );
    }
    // both runs: the one without run_end too (best ranks finished runs by default)
    const b = await cli(cwd, READ, [
      "best",
      path,
      "--top",
      "2",
      "--status",
      "any",
      "--json",
    ]);
    assert.equal(b.code, 0, `best ${path}: ${b.stderr}`);
    const rows = JSON.parse(b.stdout).rows as {
      value: number;
      run: { id: string };
    }[];
    assert.deepEqual(
      rows.map((r) => [r.run.id, r.value]),
      [[crashed, 10_000 + offset + 2], [ended, offset + 2]],
      `best ${path}`,
    );
    // --by max scans the run without run_end forward (the scanner's needle)
    const max = await cli(cwd, READ, [
      "best",
      path,
      "--by",
      "max",
      "--status",
      "any",
      "--json",
    ]);
    assert.equal(max.code, 0, `best --by max ${path}: ${max.stderr}`);
    assert.deepEqual(
      (JSON.parse(max.stdout).rows as { value: number }[]).map((r) => r.value),
      [10_000 + offset + 2],
    );
    const table = await cli(cwd, READ, ["best", path]);
    assert.equal(parseTable(table.stdout).rows[0][4], path, "best shows it");
    const w = await cli(cwd, READ, [
      "runs",
      "--json",
      "--where",
      `${path} = ${offset + 2}`,
    ]);
    assert.equal(w.code, 0, `--where ${path}: ${w.stderr}`);
    assert.deepEqual(
      (JSON.parse(w.stdout) as { id: string }[]).map((r) => r.id),
      [ended],
      `--where ${path}`,
    );
  }));
  assert.equal(checked, expected.size);
});

Deno.test("show prints metadata paths with a backslash or a bidi override as they are, and --where takes them back", async () => {
  const cwd = tempDir("exprag-paste-show-");
  const out = await runScript(
    cwd,
    IMPORT_TRACKER +
      `new Experiment("m", { git: false, metadata: { "C:\\\\data": 1, "a\\u202eb": 2 } }).end();\n`,
    ["--allow-write=.exprag"],
  );
  assert.equal(out.code, 0, out.stderr);
  const shown = await cli(cwd, READ, ["show", "latest"]);
  const keys = parseTable(shown.stdout).rows.map((r) => r[0]);
  for (
    const [path, value] of [['metadata."C:\\\\data"', 1], [
      'metadata."a\\u202eb"',
      2,
    ]] as const
  ) {
    assert.ok(keys.includes(path), `${path} in ${keys}`);
    const w = await cli(cwd, READ, [
      "runs",
      "--json",
      "--where",
      `${path} = ${value}`,
    ]);
    assert.equal(JSON.parse(w.stdout).length, 1, `--where ${path}`);
  }
});

Deno.test("a ~ pattern that is no regular expression is a usage error before anything is read", async () => {
  const cwd = tempDir("exprag-badre-");
  await record(cwd, 0);
  for (const command of ["runs", "best value.val.acc"]) {
    const out = await cli(cwd, READ, [
      ...command.split(" "),
      "--where",
      "name ~ [",
    ]);
    assert.equal(out.code, 2, out.stderr);
    assert.equal(out.stdout, "");
    const line = oneLine(out.stderr);
    assert.match(line, /"\["/, "names the pattern");
    assert.match(line, /no valid regular expression/);
    assert.match(line, /Invalid regular expression/, "the regex error");
  }
  const ok = await cli(cwd, READ, ["runs", "--json", "--where", "name ~ \\["]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), [], "an escaped [ is a pattern");
});

Deno.test("compare of runs with more than 1024 numeric paths says its table is partial", async () => {
  const cwd = tempDir("exprag-wide-compare-");
  const ids: string[] = [];
  // disjoint keys: no shared path, so no curve to draw (each curve is a scan)
  for (const [prefix, n] of [["a", 1100], ["b", 1100], ["c", 10]] as const) {
    const out = await runScript(
      cwd,
      IMPORT_TRACKER +
        `const exp = new Experiment("wide", { git: false });
const v: Record<string, number> = {};
for (let i = 0; i < ${n}; i++) v["${prefix}" + i] = i;
exp.track(v);
exp.end();
console.log(exp.runId);\n`,
      ["--allow-write=.exprag"],
    );
    assert.equal(out.code, 0, out.stderr);
    ids.push(out.stdout.trim());
  }
  const [a, b, small] = ids;
  const shown = await cli(cwd, READ, ["compare", a, b]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(
    oneLine(shown.stderr),
    new RegExp(
      `^exprag: note: statistics of the first 1024 numeric paths of each run only \\(run ${a} and run ${b} have more\\)`,
    ),
  );
  const json = await cli(cwd, READ, ["compare", a, b, "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const c = JSON.parse(json.stdout);
  assert.deepEqual(c.truncated, { a: true, b: true });
  assert.equal(c.only_a.length + c.only_b.length, 2048, "1024 of each");
  const mixed = await cli(cwd, READ, ["compare", small, a, "--json"]);
  assert.deepEqual(JSON.parse(mixed.stdout).truncated, { a: false, b: true });
  assert.match(oneLine(mixed.stderr), new RegExp(`run ${a} has more`));
  const whole = await cli(cwd, READ, ["compare", small, small, "--json"]);
  assert.equal(whole.stderr, "", "no note when nothing is left out");
  assert.deepEqual(JSON.parse(whole.stdout).truncated, { a: false, b: false });
});
