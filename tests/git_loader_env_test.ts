// Dynamic-loader variables (LD_*/DYLD_*, set by CUDA and conda) and git:
// under `--allow-run=git` they are cleared in git's environment up front
// (every one of the environment when `--allow-env` is granted, else a known
// list; any other learnt from Deno's refusal), never under an unrestricted
// `--allow-run`. The tracker, `exprag diff` and `exprag checkout --worktree`
// work under their documented flags. Real processes; a clean filter records
// the environment git hands its children.
import { match, ok, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import {
  CLI_URL,
  denoRunArgs,
  git,
  IMPORT_TRACKER,
  makeRepo,
  readJsonl,
  runFiles,
  tempDir,
} from "./_helpers.ts";
import { G, TRACK } from "./_git_fixtures.ts";

const dec = new TextDecoder();

/** Runs deno with exactly `vars` (plus PATH and HOME) as its environment. */
function denoWith(
  cwd: string,
  args: string[],
  vars: Record<string, string>,
): { code: number; stdout: string; stderr: string } {
  const o = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      ...vars,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  return {
    code: o.code,
    stdout: dec.decode(o.stdout),
    stderr: dec.decode(o.stderr),
  };
}

/** A repository whose `*.txt` clean filter writes its environment to `envFile`. */
function filteredRepo(envFile: string): string {
  const repo = makeRepo({
    ".gitattributes": "*.txt filter=dump\n",
    ".gitignore": ".exprag/\n",
    "a.txt": "v1\n",
  });
  git(repo, "config", "filter.dump.clean", `env > '${envFile}'; cat`);
  return repo;
}

/** The run's recorded git state after a training script under `flags`. */
function train(
  repo: string,
  flags: string[],
  vars: Record<string, string>,
): { id: string; g: Record<string, unknown>; un: Record<string, string> } {
  const file = join(tempDir("exprag-ld-"), "train.ts");
  Deno.writeTextFileSync(
    file,
    IMPORT_TRACKER +
      `using exp = new Experiment("ld");\nexp.track({ s: 1 });\n`,
  );
  const before = new Set(runFiles(join(repo, ".exprag")));
  const o = denoWith(repo, denoRunArgs(flags, file), vars);
  equal(o.code, 0, o.stderr);
  const f = runFiles(join(repo, ".exprag")).find((p) => !before.has(p))!;
  const start = readJsonl(f)[0] as {
    run_id: string;
    value: {
      git: Record<string, unknown>;
      unavailable: Record<string, string>;
    };
  };
  return {
    id: start.run_id,
    g: start.value.git,
    un: start.value.unavailable,
  };
}

/** The `LD_*`/`DYLD_*` lines of the environment the clean filter saw. */
function loaderVars(envFile: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of Deno.readTextFileSync(envFile).split("\n")) {
    const m = /^((?:LD_|DYLD_)[^=]*)=(.*)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

const CONDA = {
  LD_LIBRARY_PATH: "/usr/lib",
  LD_AUDIT: "",
  CONDA_PREFIX: "/opt/conda",
};

Deno.test("LD_LIBRARY_PATH, an empty LD_AUDIT and CONDA_PREFIX set: the documented flags snapshot, diff and checkout --worktree", () => {
  const envFile = join(tempDir("exprag-ld-env-"), "env");
  const repo = filteredRepo(envFile);
  const first = train(repo, TRACK, CONDA);
  equal(first.un.git, undefined, JSON.stringify(first.un));
  Deno.writeTextFileSync(join(repo, "a.txt"), "v2\n");
  const second = train(repo, TRACK, CONDA);
  equal(second.g.mode, "snapshot", JSON.stringify(second.un));
  equal(git(repo, "show", `${second.g.commit}:a.txt`), "v2");
  // the known variables are cleared up front, set or not
  const seen = loaderVars(envFile);
  equal(seen.get("LD_LIBRARY_PATH"), "");
  equal(seen.get("LD_PRELOAD"), "", "LD_PRELOAD is not set, cleared anyway");
  equal(seen.get("DYLD_INSERT_LIBRARIES"), "");

  const d = denoWith(
    repo,
    denoRunArgs(G, CLI_URL, ["diff", "latest~1", "latest"]),
    CONDA,
  );
  equal(d.code, 0, d.stderr);
  match(d.stdout, /-v1\n\+v2/);
  const wt = join(tempDir("exprag-ld-wt-"), "wt");
  const w = denoWith(
    repo,
    denoRunArgs(G, CLI_URL, ["checkout", second.id, "--worktree", wt]),
    CONDA,
  );
  equal(w.code, 0, w.stderr);
  equal(Deno.readTextFileSync(join(wt, "a.txt")), "v2\n");
});

Deno.test("an LD_* variable outside the known list (LD_BIND_NOW) is learnt from Deno's refusal; with --allow-env every LD_*/DYLD_* one is read and cleared", () => {
  const envFile = join(tempDir("exprag-ld-env-"), "env");
  const repo = filteredRepo(envFile);
  const vars = { ...CONDA, LD_BIND_NOW: "1", DYLD_ODD_NAME: "x" };
  Deno.writeTextFileSync(join(repo, "a.txt"), "v2\n");
  const r = train(repo, TRACK, vars);
  equal(r.g.mode, "snapshot", JSON.stringify(r.un));
  let seen = loaderVars(envFile);
  equal(seen.get("LD_BIND_NOW"), "");
  equal(seen.get("DYLD_ODD_NAME"), "");

  Deno.removeSync(envFile);
  Deno.writeTextFileSync(join(repo, "a.txt"), "v3\n");
  const e = train(repo, [...TRACK, "--allow-env"], vars);
  equal(e.g.mode, "snapshot", JSON.stringify(e.un));
  equal(git(repo, "show", `${e.g.commit}:a.txt`), "v3");
  seen = loaderVars(envFile);
  equal(seen.get("LD_BIND_NOW"), "");
  equal(seen.get("LD_LIBRARY_PATH"), "");
  // read from the environment: a variable the process lacks is not invented
  equal(seen.has("LD_PRELOAD"), false, [...seen.keys()].join(" "));
});

Deno.test("under an unrestricted --allow-run nothing is cleared: git's children keep LD_LIBRARY_PATH", () => {
  const envFile = join(tempDir("exprag-ld-env-"), "env");
  const repo = filteredRepo(envFile);
  Deno.writeTextFileSync(join(repo, "a.txt"), "v2\n");
  const r = train(
    repo,
    ["--allow-write=.exprag", "--allow-read=.", "--allow-run"],
    CONDA,
  );
  equal(r.g.mode, "snapshot", JSON.stringify(r.un));
  const seen = loaderVars(envFile);
  equal(seen.get("LD_LIBRARY_PATH"), "/usr/lib");
  ok(!seen.has("LD_PRELOAD"), [...seen.keys()].join(" "));
});
