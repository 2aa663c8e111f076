// Adversarial pass (issue 9): what a user's real runs hold, recorded by real
// tracker processes and read back by the real CLI under its documented
// minimal flags.
import assert from "node:assert/strict";
import { IMPORT_TRACKER, runScript, tempDir } from "./_helpers.ts";
import { cli, oneLine, parseTable } from "./_cli_fixtures.ts";

const READ = ["--allow-read=.exprag"];

/** Records one run with `metadata` (given as JSON text, so `__proto__` stays a key). */
async function recordRun(cwd: string, metadata: string): Promise<void> {
  const out = await runScript(
    cwd,
    IMPORT_TRACKER +
      `const exp = new Experiment("odd keys", { git: false, metadata: JSON.parse(${
        JSON.stringify(metadata)
      }) });\nexp.track({ x: 1 });\nexp.end();\n`,
    ["--allow-write=.exprag"],
  );
  assert.equal(out.code, 0, out.stderr);
}

Deno.test("show names metadata keys with dots, spaces or nothing as quoted paths that --where accepts", async () => {
  const cwd = tempDir("exprag-adv-show-");
  await recordRun(
    cwd,
    `{"a.b": 1, "a": {"b": 2}, "": 3, "x y": 4, "__proto__": {"p": 5}, "ü": 6}`,
  );
  const shown = await cli(cwd, READ, ["show", "latest"]);
  assert.equal(shown.code, 0, shown.stderr);
  const rows = new Map(
    parseTable(shown.stdout).rows.map(([k, v]) => [k, v] as const),
  );
  const expected: [string, string][] = [
    ['metadata."a.b"', "1"],
    ["metadata.a.b", "2"],
    ['metadata.""', "3"],
    ['metadata."x y"', "4"],
    ["metadata.__proto__.p", "5"],
    ["metadata.ü", "6"],
  ];
  for (const [path, value] of expected) {
    assert.equal(rows.get(path), value, `${path} in ${[...rows.keys()]}`);
    // each shown path is one --where accepts, selecting this run
    const found = await cli(cwd, READ, [
      "runs",
      "--json",
      "--where",
      `${path} = ${value}`,
    ]);
    assert.equal(found.code, 0, found.stderr);
    assert.equal(JSON.parse(found.stdout).length, 1, `--where ${path}`);
  }
  // a key of the run_start that is no identifier is quoted too
  assert.ok(![...rows.keys()].includes("metadata."), "no bare empty key");
});

Deno.test("show of a run with more numeric paths than the summary holds says its table is partial", async () => {
  const cwd = tempDir("exprag-adv-wide-");
  const out = await runScript(
    cwd,
    IMPORT_TRACKER +
      `const exp = new Experiment("wide", { git: false });
const v: Record<string, number> = {};
for (let i = 0; i < 1100; i++) v["k" + i] = i;
exp.track(v);
exp.end();\n`,
    ["--allow-write=.exprag"],
  );
  assert.equal(out.code, 0, out.stderr);
  const shown = await cli(cwd, READ, ["show", "latest"]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(
    oneLine(shown.stderr),
    /^exprag: note: statistics of the first 1024 numeric paths only/,
  );
  const json = await cli(cwd, READ, ["show", "latest", "--json"]);
  assert.equal(JSON.parse(json.stdout).stats_truncated, true);
  // the path left out of the table is still answered
  const v = await cli(cwd, READ, ["values", "value.k1099", "--json"]);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(JSON.parse(v.stdout)[0].value, 1099);
});
