// Adversarial pass (issue 9): the tracker never prompts either. A training
// script runs under a pseudo-terminal WITHOUT --no-prompt, under each
// documented row of tracker flags, from a subdirectory of a dirty
// repository, in a CUDA/conda-like environment — and records a finished run.
import {
  deepStrictEqual as deepEqual,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import {
  IMPORT_TRACKER,
  makeRepo,
  readJsonl,
  runFiles,
  tempDir,
} from "./_helpers.ts";
import { underPty } from "./_pty.ts";

/** What ML users' shells hold (conda activate, CUDA modules). */
const CUDA_ENV: Record<string, string> = {
  LD_LIBRARY_PATH: "/usr/local/cuda/lib64:/opt/conda/lib",
  LD_PRELOAD: "",
  DYLD_LIBRARY_PATH: "/opt/conda/lib",
  CONDA_PREFIX: "/opt/conda/envs/train",
  CONDA_DEFAULT_ENV: "train",
  PYTHONPATH: "/opt/conda/lib/python3.11/site-packages",
  CUDA_VISIBLE_DEVICES: "0,1",
  HUGE_VAR: "x".repeat(100_000),
};

const ROWS: [string, string[]][] = [
  ["full", ["--allow-write=.exprag", "--allow-read=.", "--allow-run=git"]],
  ["least", ["--allow-write=.exprag"]],
  ["host details", [
    "--allow-write=.exprag",
    "--allow-read=.",
    "--allow-run=git",
    "--allow-sys=hostname,osRelease",
    "--allow-env=USER",
  ]],
  ["EXPRAG_DIR", [
    "--allow-write=../store",
    "--allow-read=.",
    "--allow-run=git",
    "--allow-env=EXPRAG_DIR",
  ]],
];

Deno.test("no tracker row prompts under a pseudo-terminal without --no-prompt, in a CUDA/conda environment", async () => {
  const repo = makeRepo({ "model.ts": "export const lr = 0.1;\n" });
  Deno.writeTextFileSync(join(repo, "model.ts"), "export const lr = 0.2;\n");
  const cwd = join(repo, "experiments", "mnist");
  Deno.mkdirSync(cwd, { recursive: true });
  const script = join(tempDir("exprag-adv-pty-"), "train.ts");
  Deno.writeTextFileSync(
    script,
    IMPORT_TRACKER +
      `using exp = new Experiment("pty ${"${Deno.args[0]}"}", { metadata: { lr: 0.1 } });
for (let step = 0; step < 3; step++) exp.track({ step, loss: 1 / (step + 1) });
console.log("trained");\n`,
  );
  const failures: string[] = [];
  for (const [name, flags] of ROWS) {
    const env = { ...Deno.env.toObject(), ...CUDA_ENV };
    if (name === "EXPRAG_DIR") env.EXPRAG_DIR = "../store";
    const o = await underPty(cwd, { name, flags, args: [name], script, env });
    if (o.prompted) failures.push(`${name} prompted or hung: ${o.text}`);
    else if (o.code !== 0 || !o.text.includes("trained")) {
      failures.push(`${name} failed (exit ${o.code}): ${o.text}`);
    }
  }
  equal(failures.length, 0, failures.join("\n"));
  const files = [
    ...runFiles(join(cwd, ".exprag")),
    ...runFiles(join(repo, "experiments", "store")),
  ];
  equal(files.length, ROWS.length);
  for (const f of files) {
    const recs = readJsonl(f);
    equal(recs.length, 5, f);
    const end = recs[4].value as Record<string, unknown>;
    equal(end.status, "finished", f);
    const start = recs[0].value as Record<string, unknown>;
    deepEqual(start.metadata, { lr: 0.1 }, f);
  }
});
