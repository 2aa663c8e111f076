/**
 * exprag for Deno: an experiment memory for coding agents.
 *
 * A training script records each run as one append-only JSONL file under
 * `.exprag/runs/<run_id>.jsonl`; the reading API and the CLI answer
 * questions about those runs.
 *
 * @example
 * ```ts ignore
 * import { Experiment } from "@exprag/cli";
 * using exp = new Experiment("train", { metadata: { lr: 0.03 } });
 * exp.track({ step: 0, metrics: { loss: 1.0 } }, { note: "after step 0" });
 * ```
 *
 * @module
 */

// --- tracker (write side) ---
export {
  type EndOptions,
  type EndStatus,
  Experiment,
  type ExperimentOptions,
  type RunStatus,
  type TrackOptions,
} from "./src/tracker/experiment.ts";
export { encodeValue, MAX_DEPTH } from "./src/tracker/encode.ts";

// --- query (read side) ---
export * from "./src/query/mod.ts";

// --- CLI ---
// Not exported: the CLI is `@exprag/cli/cli`. Run as the main module
// (`deno run jsr:@exprag/cli skill`) this module starts it through a
// dynamic import, so importing the library never loads the CLI.
if (import.meta.main) {
  const { main } = await import("./cli.ts");
  Deno.exit(await main(Deno.args));
}
