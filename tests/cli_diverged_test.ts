// A run whose loss became NaN still finishes and can rank high on another
// path: best and best --group-by say so in one note line.
import {
  deepStrictEqual,
  match,
  strictEqual as equal,
} from "node:assert/strict";
import { IMPORT_TRACKER, run, runScript, tempDir } from "./_helpers.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const READ = ["--no-prompt", "--allow-read=.exprag"];

async function train(cwd: string, lr: number, seed: number, diverge: boolean) {
  const out = await runScript(
    cwd,
    IMPORT_TRACKER +
      `using exp = new Experiment("t", { git: false, metadata: { lr: ${lr}, seed: ${seed} } });
for (let step = 0; step < 5; step++) {
  const loss = ${diverge} && step >= 3 ? NaN : 1 / (step + 1);
  exp.track({ step, metrics: { loss, acc: ${lr} * 5 + step / 100 } });
}\n`,
    ["--allow-write=.exprag"],
  );
  equal(out.code, 0, out.stderr);
}

Deno.test("best and best --group-by note ranked runs that recorded NaN (diverged?)", async () => {
  const cwd = tempDir("exprag-diverged-");
  await train(cwd, 0.1, 0, true); // best accuracy, but its loss went NaN
  await train(cwd, 0.03, 0, false);
  await train(cwd, 0.03, 1, false);
  const best = await run(Deno.execPath(), [
    "run",
    ...READ,
    CLI,
    "best",
    "value.metrics.acc",
    "--top",
    "2",
  ], { cwd });
  equal(best.code, 0, best.stderr);
  match(
    best.stderr,
    /rank 1 \(run [0-9a-f-]{36}\) recorded NaN at value\.metrics\.loss: diverged\?/,
  );
  const json = await run(Deno.execPath(), [
    "run",
    ...READ,
    CLI,
    "best",
    "value.metrics.acc",
    "--json",
  ], { cwd });
  deepStrictEqual(JSON.parse(json.stdout).rows[0].nan_paths, [
    "value.metrics.loss",
  ]);
  const groups = await run(Deno.execPath(), [
    "run",
    ...READ,
    CLI,
    "best",
    "value.metrics.acc",
    "--group-by",
    "metadata.lr",
  ], { cwd });
  equal(groups.code, 0, groups.stderr);
  match(
    groups.stderr,
    /group metadata\.lr=0\.1 holds 1 run that recorded NaN \([0-9a-f-]{36}\): diverged\?/,
  );
  // no note when no ranked run recorded NaN
  const clean = await run(Deno.execPath(), [
    "run",
    ...READ,
    CLI,
    "best",
    "value.metrics.acc",
    "--where",
    "metadata.lr = 0.03",
  ], { cwd });
  equal(clean.code, 0, clean.stderr);
  equal(/NaN/.test(clean.stderr), false, clean.stderr);
});
