// End-to-end acceptance as a user and a coding agent work: a real training
// script (importing mod.ts) records runs in a real git repository under the
// documented flags; the CLI answers under its minimal flags. Each test pins
// an output found confusing for an agent in an acceptance pass.
import { match, ok, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import { CLI_URL, makeRepo, MOD_URL, type Output, run } from "./_helpers.ts";

const TRAIN = `import { Experiment } from ${JSON.stringify(MOD_URL)};
const [lr, bs] = Deno.args.map(Number);
using exp = new Experiment("mnist-mlp", {
  metadata: { hparams: { learning_rate: lr, batch_size: bs } },
});
let loss = 2.3;
for (let epoch = 0; epoch < 3; epoch++) {
  loss = loss * (1 - lr * 10) + 0.01;
  exp.track({ epoch, metrics: { loss, acc: 1 - loss / 2.5 } }, { note: "epoch" });
}
`;

const repo = makeRepo({ "train.ts": TRAIN, ".gitignore": ".exprag/\n" });
for (const [lr, bs] of [["0.01", "64"], ["0.03", "32"]]) {
  const o = await run(Deno.execPath(), [
    "run",
    "--no-prompt",
    "--no-config",
    "--allow-write=.exprag",
    "--allow-read=.",
    "--allow-run=git",
    "train.ts",
    lr,
    bs,
  ], { cwd: repo });
  equal(o.code, 0, o.stderr);
}
Deno.mkdirSync(join(repo, "src"));

/** The CLI as an agent calls it: minimal flags, from `cwd`. */
function exprag(cwd: string, ...args: string[]): Promise<Output> {
  return run(Deno.execPath(), [
    "run",
    "--no-prompt",
    "--no-config",
    "--allow-read=.exprag",
    CLI_URL,
    ...args,
  ], { cwd });
}

function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  equal(lines.length, 1, `expected one line on stderr, got: ${stderr}`);
  match(lines[0], /^exprag: /);
  return lines[0];
}

Deno.test("values at a path without value. fails and names the recorded path", async () => {
  // was: an empty table and exit 0, read as "nothing recorded"
  const o = await exprag(repo, "values", "acc");
  equal(o.code, 1);
  equal(o.stdout, "");
  match(
    oneLine(o.stderr),
    /no values at acc; did you mean value\.metrics\.acc\?/,
  );
  const m = await exprag(repo, "values", "metrics.loss", "--run", "latest");
  equal(m.code, 1);
  match(
    oneLine(m.stderr),
    /did you mean value\.metrics\.loss\?.*exprag paths --run latest/,
  );
  const none = await exprag(repo, "values", "value.metrics.f1");
  equal(none.code, 1);
  match(
    oneLine(none.stderr),
    /no values at value\.metrics\.f1; no run recorded it: see exprag paths/,
  );
  // the right path still answers, with every epoch
  const ok3 = await exprag(
    repo,
    "values",
    "value.metrics.acc",
    "--run",
    "latest",
  );
  equal(ok3.code, 0, ok3.stderr);
  equal(ok3.stdout.trim().split("\n").length, 4);
});

Deno.test("run from a directory without .exprag: the answers say the runs directory is missing", async () => {
  const sub = join(repo, "src");
  // was: empty tables, exit 0 and nothing on stderr, read as "no runs recorded"
  const runs = await exprag(sub, "runs");
  equal(runs.code, 0);
  equal(runs.stdout.split("\n").length, 2); // the header only
  match(
    oneLine(runs.stderr),
    /^exprag: note: no runs directory ".*\/src\/\.exprag\/runs": run exprag from the directory holding \.exprag, or pass --dir DIR/,
  );
  for (
    const args of [
      ["best", "value.metrics.acc"],
      ["show", "latest"],
      ["compare", "latest~1", "latest"],
      ["values", "value.metrics.acc"],
    ]
  ) {
    const o = await exprag(sub, ...args);
    equal(o.code, 1, args.join(" "));
    match(
      oneLine(o.stderr),
      /no runs directory ".*\/src\/\.exprag\/runs"/,
      args.join(" "),
    );
  }
  const paths = await exprag(sub, "paths");
  equal(paths.code, 0);
  match(oneLine(paths.stderr), /no runs directory/);
  // where the runs are, no note
  const here = await exprag(repo, "runs");
  equal(here.stderr, "");
});

Deno.test("--where on a path no run has says so instead of an unexplained empty table", async () => {
  // the agent forgot the hparams level: metadata.batch_size
  const o = await exprag(
    repo,
    "runs",
    "--where",
    "metadata.batch_size",
    "=",
    "32",
  );
  equal(o.code, 0);
  equal(o.stdout.split("\n").length, 2);
  match(
    oneLine(o.stderr),
    /^exprag: note: no run has metadata\.batch_size \(2 runs considered\); see the metadata paths with exprag show latest$/,
  );
  const b = await exprag(
    repo,
    "best",
    "value.metrics.acc",
    "--where",
    "metadata.batch_size=32",
  );
  equal(b.code, 1);
  match(oneLine(b.stderr), /no run has metadata\.batch_size/);
  // a path that exists but matches nothing: an empty table, no note
  const none = await exprag(
    repo,
    "runs",
    "--where",
    "metadata.hparams.batch_size",
    "=",
    "16",
  );
  equal(none.code, 0);
  equal(none.stderr, "");
  const one = await exprag(
    repo,
    "runs",
    "--where",
    "metadata.hparams.batch_size",
    "=",
    "32",
  );
  equal(one.stdout.trim().split("\n").length, 2);
});

Deno.test("--where with an unknown root quotes the clause as given and suggests metadata.", async () => {
  const o = await exprag(
    repo,
    "runs",
    "--where",
    "hparams.batch_size",
    "=",
    "32",
  );
  equal(o.code, 2);
  const line = oneLine(o.stderr);
  // was: 'Invalid where clause "hparams.batch_size = x"'
  ok(line.includes('"hparams.batch_size = 32"'), line);
  ok(line.includes('did you mean "metadata.hparams.batch_size"?'), line);
});

Deno.test("an unknown run reference says how runs are named", async () => {
  const o = await exprag(repo, "show", "latest-1");
  equal(o.code, 1);
  match(
    oneLine(o.stderr),
    /No run matches "latest-1"; runs are named by full id, unique id prefix, latest or latest~N: see exprag runs$/,
  );
});
