// The CLI on runs made by the real tracker (`Experiment` from mod.ts) in a
// real git repository: statuses (finished, failed, interrupted, crashed via
// SIGKILL, running), best, values, compare, and the code of each run
// restored and diffed from the snapshot commits the tracker made.
import { deepStrictEqual, ok, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import { git, makeRepo, MOD_URL, runScript, tempDir } from "./_helpers.ts";
import { cli, tableObjects } from "./_cli_fixtures.ts";

const TRACK = ["--allow-write=.exprag", "--allow-read=.", "--allow-run=git"];
const R = ["--allow-read=.exprag"];
const G = ["--allow-read=.exprag", "--allow-run=git"];

function script(lr: number, bs: number, tail = "exp.end();"): string {
  return `import { Experiment } from ${JSON.stringify(MOD_URL)};
const exp = new Experiment("train", { metadata: { hparams: { learning_rate: ${lr}, batch_size: ${bs} } }, handleSignals: ${
    tail.includes("handleSignals") ? "true" : "false"
  } });
for (let step = 0; step < 5; step++) {
  exp.track({ step, metrics: { loss: ${lr} / (step + 1), acc: 0.8 + step * ${lr} } }, { note: "after step " + step });
}
${tail}
`;
}

/** Starts a script that tracks, prints "ready", then waits until killed. */
async function startWaiting(
  cwd: string,
  code: string,
): Promise<Deno.ChildProcess> {
  const file = join(tempDir("exprag-trk-script-"), "s.ts");
  Deno.writeTextFileSync(file, code);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-config", ...TRACK, file],
    cwd,
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let seen = "";
  while (!seen.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("script ended before ready");
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return child;
}

Deno.test("tracker runs: statuses, best, values, compare, diff and checkout of snapshot commits", async () => {
  const repo = makeRepo({
    "train.ts": "const lr = 0.1;\n",
    ".gitignore": ".exprag/\n",
  });
  // run 1: dirty worktree (lr edit) -> snapshot commit on run/<id>
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 0.05;\n");
  const r1 = await runScript(repo, script(0.05, 32), TRACK);
  equal(r1.code, 0, r1.stderr);
  // run 2: another edit, and a new file
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 0.02;\n");
  Deno.writeTextFileSync(join(repo, "aug.ts"), "export const flip = true;\n");
  const r2 = await runScript(repo, script(0.02, 16), TRACK);
  equal(r2.code, 0, r2.stderr);
  // failed: an uncaught error
  const r3 = await runScript(
    repo,
    script(0.01, 8, 'throw new Error("diverged");'),
    TRACK,
  );
  equal(r3.code, 1);
  // interrupted: SIGINT with handleSignals
  const intr = await startWaiting(
    repo,
    script(
      0.3,
      4,
      '// handleSignals\nconsole.log("ready"); setInterval(() => {}, 1000);',
    ),
  );
  intr.kill("SIGINT");
  equal((await intr.status).code, 130);
  // crashed: SIGKILL
  const crash = await startWaiting(
    repo,
    script(0.4, 2, 'console.log("ready"); setInterval(() => {}, 1000);'),
  );
  crash.kill("SIGKILL");
  await crash.status;
  // running: still alive while we ask
  const live = await startWaiting(
    repo,
    script(0.5, 1, 'console.log("ready"); setInterval(() => {}, 1000);'),
  );
  try {
    const o = await cli(repo, R, ["runs", "--json"]);
    equal(o.code, 0, o.stderr);
    const runs = JSON.parse(o.stdout) as {
      id: string;
      status: string;
      metadata: { hparams: { batch_size: number } };
    }[];
    deepStrictEqual(
      runs.map((r) => [r.metadata.hparams.batch_size, r.status]),
      [[1, "running"], [2, "crashed"], [4, "interrupted"], [8, "failed"], [
        16,
        "finished",
      ], [32, "finished"]],
    );
  } finally {
    live.kill("SIGKILL");
    await live.status;
  }
  const table = tableObjects((await cli(repo, R, ["runs"])).stdout);
  equal(table[0].status, "crashed");
  const [run32, run16] = [table[5], table[4]];
  equal(run32.dirty, "true");
  equal(run32.branch, `run/${run32.id}`);

  // best by last acc: the lr 0.5 run (crashed, no run_end: scanned) wins; NaN-free
  const best = JSON.parse(
    (await cli(repo, R, [
      "best",
      "value.metrics.acc",
      "--top",
      "6",
      "--json",
      "--status",
      "any",
    ]))
      .stdout,
  );
  deepStrictEqual(
    best.rows.map((
      r: { run: { metadata: { hparams: { batch_size: number } } } },
    ) => r.run.metadata.hparams.batch_size),
    [1, 2, 4, 32, 16, 8],
  );
  equal(best.by, "last");
  // the metric history of the batch-size-32 run, with sources
  const hist = tableObjects(
    (await cli(repo, R, ["values", "value.metrics.loss", "--run", run32.id]))
      .stdout,
  );
  equal(hist.length, 5);
  equal(hist[0].note, "after step 0");
  equal(hist[4].line, "6"); // --run: the file is named once, in a note
  // compare: the learning rates differ
  const cmp = (await cli(repo, R, ["compare", run32.id, run16.id])).stdout;
  ok(cmp.includes("metadata.hparams.learning_rate\t0.05\t0.02"), cmp);
  ok(cmp.includes(`exprag diff ${run32.id} ${run16.id}`));

  // the code of the two finished runs, from the tracker's snapshot commits
  const diff = await cli(repo, G, ["diff", run32.id, run16.id]);
  equal(diff.code, 0, diff.stderr);
  ok(diff.stdout.includes("-const lr = 0.05;\n+const lr = 0.02;"), diff.stdout);
  ok(diff.stdout.includes("+export const flip = true;"));
  ok(!diff.stdout.includes(".exprag"));
  const wt = join(tempDir("exprag-trk-wt-"), "wt");
  const co = await cli(repo, G, ["checkout", run32.id, "--worktree", wt]);
  equal(co.code, 0, co.stderr);
  equal(Deno.readTextFileSync(join(wt, "train.ts")), "const lr = 0.05;\n");
  // the user's checkout is untouched and still dirty: in-place checkout is refused
  equal(Deno.readTextFileSync(join(repo, "train.ts")), "const lr = 0.02;\n");
  equal(git(repo, "symbolic-ref", "--short", "HEAD"), "main");
  const refused = await cli(repo, G, ["checkout", run32.id]);
  equal(refused.code, 1);
});
