// A small training loop recorded with exprag (`deno task demo`).
//
//   deno run --no-prompt --allow-write=.exprag --allow-read=. --allow-run=git examples/track_experiment.ts
//
// Each run becomes .exprag/runs/<run_id>.jsonl: a run_start record (git code
// state, host, process, metadata), one track record per step, and a run_end
// record when the scope ends.
import { Experiment } from "../mod.ts";

using exp = new Experiment("training my neural network", {
  // captured only once, in run_start
  metadata: {
    hparams: {
      learning_rate: 0.03,
      batch_size: 32,
    },
  },
});

for (let step = 0; step < 5; step++) {
  const loss = 1.0 / (step + 1);
  const acc = 0.6 + step * 0.05;

  exp.track(
    { step, metrics: { loss, acc } },
    { note: "training metrics after each step" },
  );
}

console.log(`run ${exp.runId} of "${exp.name}" recorded in:`);
console.log(`  ${exp.path}`);
