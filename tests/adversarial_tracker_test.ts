// Adversarial pass (issue 9): training scripts as users write them, run as
// real Deno processes under the documented flags.
import assert from "node:assert/strict";
import {
  IMPORT_TRACKER,
  readJsonl,
  run,
  runFiles,
  runScript,
  tempDir,
} from "./_helpers.ts";
import { join } from "node:path";

Deno.test("tracking an un-awaited async metric or a Weak* container throws naming the path; nothing is written", async () => {
  const cwd = tempDir("exprag-adv-promise-");
  const out = await runScript(
    cwd,
    IMPORT_TRACKER +
      `const exp = new Experiment("async metric", { git: false });
async function evaluate() { return 0.9; }
for (const v of [{ metrics: { acc: evaluate() } }, { w: new WeakMap() }, { w: new WeakSet() }, { w: new WeakRef({}) }]) {
  try { exp.track(v); console.log("recorded"); }
  catch (e) { console.log(e.name + ": " + e.message); }
}
try { new Experiment("x", { git: false, metadata: { lr: Promise.resolve(0.1) } }); console.log("started"); }
catch (e) { console.log(e.name + ": " + e.message); }
exp.track({ acc: await evaluate() });
exp.end();\n`,
    ["--allow-write=.exprag"],
  );
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(out.stdout.trim().split("\n"), [
    "TypeError: cannot encode value.metrics.acc: a Promise cannot be recorded (missing await?)",
    "TypeError: cannot encode value.w: a WeakMap cannot be recorded (its contents cannot be read)",
    "TypeError: cannot encode value.w: a WeakSet cannot be recorded (its contents cannot be read)",
    "TypeError: cannot encode value.w: a WeakRef cannot be recorded (its contents cannot be read)",
    "TypeError: cannot encode metadata.lr: a Promise cannot be recorded (missing await?)",
  ]);
  const files = runFiles(join(cwd, ".exprag"));
  assert.equal(files.length, 1, "the refused metadata started no run");
  const recs = readJsonl(files[0]);
  assert.deepEqual(recs.map((r) => r.kind), ["run_start", "track", "run_end"]);
  assert.deepEqual(recs[1].value, { acc: 0.9 });
});

Deno.test("argv keeps no W&B-style --*-key or --pass secrets, and keeps look-alike flags", async () => {
  const cwd = tempDir("exprag-adv-argv-");
  const script = join(cwd, "train.ts");
  Deno.writeTextFileSync(
    script,
    IMPORT_TRACKER + `new Experiment("argv", { git: false }).end();\n`,
  );
  const secret = "0123456789abcdef0123456789abcdef01234567";
  const args = [
    ["--wandb-key", secret],
    ["--key", "k-secret"],
    ["--pass", "hunter2"],
    [`WANDB_KEY=${secret}`],
    ["--key-metric", "acc"],
    ["--passes", "3"],
    ["--keyboard", "us"],
  ];
  const out = await run(Deno.execPath(), [
    "run",
    "--no-prompt",
    "--no-config",
    "--allow-write=.exprag",
    script,
    ...args.flat(),
  ], { cwd });
  assert.equal(out.code, 0, out.stderr);
  const start = readJsonl(runFiles(join(cwd, ".exprag"))[0])[0];
  const argv = (start.value as { process: { argv: string[] } }).process.argv;
  assert.deepEqual(argv.slice(2), [
    "--wandb-key",
    "[redacted]",
    "--key",
    "[redacted]",
    "--pass",
    "[redacted]",
    "WANDB_KEY=[redacted]",
    "--key-metric",
    "acc",
    "--passes",
    "3",
    "--keyboard",
    "us",
  ]);
  assert.ok(!JSON.stringify(start).includes("hunter2"));
});
