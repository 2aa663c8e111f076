// The capture times git (through a worker, ~20 ms to start) only when git
// may run a program of the user's: a clean/smudge filter configured
// (repository, global or `-c` configuration) or an initialised submodule.
// A real training script under the documented flags counts the workers it
// starts by wrapping the global Worker constructor.
import { deepStrictEqual, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import {
  commitAll,
  git,
  makeRepo,
  MOD_URL,
  readJsonl,
  runFiles,
  runScript,
  tempDir,
} from "./_helpers.ts";
import { addSubmodule, TRACK } from "./_git_fixtures.ts";

const SCRIPT = `let workers = 0;
const W = globalThis.Worker;
globalThis.Worker = class extends W {
  constructor(...a) { super(...a); workers++; }
};
const { Experiment } = await import(${JSON.stringify(MOD_URL)});
const exp = new Experiment("timed");
exp.end();
console.log(JSON.stringify({ workers }));
`;

/** Workers started by one run in `repo`, and the run's git mode. */
async function workersOf(
  repo: string,
  env: Record<string, string> = {},
): Promise<{ workers: number; mode: unknown }> {
  const before = new Set(runFiles(join(repo, ".exprag")));
  const isolated = join(tempDir("exprag-gitconfig-"), "config");
  Deno.writeTextFileSync(isolated, "");
  const o = await runScript(repo, SCRIPT, TRACK, {
    env: { GIT_CONFIG_GLOBAL: isolated, GIT_CONFIG_NOSYSTEM: "1", ...env },
  });
  equal(o.code, 0, o.stderr);
  const file = runFiles(join(repo, ".exprag")).find((f) => !before.has(f))!;
  const start = readJsonl(file)[0] as {
    value: { git: { mode: unknown }; unavailable: Record<string, string> };
  };
  return {
    workers: JSON.parse(o.stdout).workers,
    mode: start.value.git.mode,
  };
}

Deno.test("no filter and no submodule configured: the capture starts no worker, clean or dirty", async () => {
  const repo = makeRepo({ "a.txt": "a\n", ".gitignore": ".exprag/\n" });
  // a filter named in .gitattributes but not configured runs nothing
  Deno.writeTextFileSync(join(repo, ".gitattributes"), "*.bin filter=lfs\n");
  commitAll(repo, "attributes");
  deepStrictEqual(await workersOf(repo), { workers: 0, mode: "snapshot" });
  Deno.writeTextFileSync(join(repo, "a.txt"), "b\n");
  deepStrictEqual(await workersOf(repo), { workers: 0, mode: "snapshot" });
});

Deno.test("a filter in the repository, global or -c configuration, or a submodule: the capture is timed (one worker)", async () => {
  const repo = makeRepo({ "a.txt": "a\n", ".gitignore": ".exprag/\n" });
  git(repo, "config", "filter.x.clean", "cat");
  deepStrictEqual(await workersOf(repo), { workers: 1, mode: "snapshot" });
  git(repo, "config", "--unset", "filter.x.clean");

  const global = join(tempDir("exprag-gitconfig-"), "config");
  Deno.writeTextFileSync(global, '[filter "lfs"]\n\tclean = cat\n');
  equal((await workersOf(repo, { GIT_CONFIG_GLOBAL: global })).workers, 1);
  const viaEnv = {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "filter.y.smudge",
    GIT_CONFIG_VALUE_0: "cat",
  };
  equal((await workersOf(repo, viaEnv)).workers, 1);

  const lib = makeRepo({ "lib.txt": "l\n" });
  addSubmodule(repo, lib, "lib");
  deepStrictEqual(await workersOf(repo), { workers: 1, mode: "snapshot" });
});
