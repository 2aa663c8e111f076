// Shared helpers of the git tests: a real tracker run in a repository, the
// field table of `exprag checkout`, and running the commands it suggests.
import { strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import {
  commitAll,
  git,
  IMPORT_TRACKER,
  readJsonl,
  runFiles,
  runScript,
} from "./_helpers.ts";
import { tableObjects } from "./_cli_fixtures.ts";

/** The documented flags of a training script. */
export const TRACK = [
  "--allow-write=.exprag",
  "--allow-read=.",
  "--allow-run=git",
];
/** The flags of the CLI's git commands. */
export const G = ["--allow-read=.exprag", "--allow-run=git"];

/** A run's id, its recorded git state and its `unavailable`. */
export interface TrackedRun {
  id: string;
  g: Record<string, unknown>;
  un: Record<string, string>;
}

/**
 * Runs a training script (one track record) in `repo` under the documented
 * flags; returns the new run's start.
 */
export async function trackedRun(repo: string): Promise<TrackedRun> {
  const before = new Set(runFiles(join(repo, ".exprag")));
  const o = await runScript(
    repo,
    IMPORT_TRACKER +
      `using exp = new Experiment("git");\nexp.track({ step: 0 });\n`,
    TRACK,
  );
  equal(o.code, 0, o.stderr);
  const file = runFiles(join(repo, ".exprag")).find((f) => !before.has(f))!;
  const start = readJsonl(file)[0] as {
    run_id: string;
    value: {
      git: Record<string, unknown>;
      unavailable: Record<string, string>;
    };
  };
  return { id: start.run_id, g: start.value.git, un: start.value.unavailable };
}

/** The field/value table of `exprag checkout` as an object. */
export function fields(stdout: string): Record<string, string> {
  return Object.fromEntries(
    tableObjects(stdout).map((r) => [r.field, r.value]),
  );
}

/** Runs a suggested command line with `sh -c` in `cwd`; asserts it succeeds. */
export async function shell(cwd: string, line: string): Promise<void> {
  const o = await new Deno.Command("sh", {
    args: ["-c", line],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(o.code, 0, `${line}: ${new TextDecoder().decode(o.stderr)}`);
}

/** Adds the repository `url` as a submodule at `path` of `repo` (local clone allowed) and commits. */
export function addSubmodule(repo: string, url: string, path: string): void {
  git(
    repo,
    "-c",
    "protocol.file.allow=always",
    "submodule",
    "add",
    "-q",
    url,
    path,
  );
  commitAll(repo, `add submodule ${path}`);
}
