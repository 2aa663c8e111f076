// `exprag cat RUN PATH` on real repositories and real runs: one file of a
// run's code, byte for byte, without a worktree, confined to the repository.
import { match, ok, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import { git, makeRepo, tempDir } from "./_helpers.ts";
import { loggingGit } from "./_faults.ts";
import {
  cli,
  oneLine,
  RUN_A as A,
  RUN_B as B,
  twoRunRepo,
  writeDenoRun,
} from "./_cli_fixtures.ts";
import { addSubmodule, G, trackedRun } from "./_git_fixtures.ts";
import { denoRunArgs } from "./_helpers.ts";

const CLI = new URL("../cli.ts", import.meta.url).href;

/** Runs cli.ts and keeps stdout as bytes. */
async function catBytes(
  cwd: string,
  flags: string[],
  args: string[],
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(flags, CLI, args),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: o.code,
    stdout: o.stdout,
    stderr: new TextDecoder().decode(o.stderr),
  };
}

Deno.test("cat: prints a file as each run ran it (clean commit, dirty snapshot), the worktree untouched", async () => {
  const { repo } = twoRunRepo();
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 9;\n");
  const status = git(repo, "status", "--porcelain");
  const a = await cli(repo, G, ["cat", A, "train.ts"]);
  equal(a.code, 0, a.stderr);
  equal(a.stdout, "const lr = 0.1;\n");
  equal(a.stderr, "");
  const b = await cli(repo, G, ["cat", "latest", "./train.ts"]);
  equal(b.stdout, "const lr = 0.03;\n", b.stderr);
  equal(git(repo, "status", "--porcelain"), status);
  equal(Deno.readTextFileSync(join(repo, "train.ts")), "const lr = 9;\n");
});

Deno.test("cat: binary files byte for byte; --json gives base64 for them", async () => {
  const bytes = new Uint8Array([0, 255, 254, 10, 13, 0x80, 1, 2]);
  const { repo } = twoRunRepo({
    change: (r) => Deno.writeFileSync(join(r, "w.bin"), bytes),
  });
  const o = await catBytes(repo, G, ["cat", B, "w.bin"]);
  equal(o.code, 0, o.stderr);
  equal(o.stdout.length, bytes.length);
  ok(o.stdout.every((x, i) => x === bytes[i]), `${o.stdout}`);
  const j = JSON.parse(
    (await cli(repo, G, ["cat", B, "w.bin", "--json"]))
      .stdout,
  );
  equal(j.text, null);
  equal(j.bytes, bytes.length);
  equal(atob(j.base64), String.fromCharCode(...bytes));
  equal(j.path, "w.bin");
});

Deno.test("cat: PATH is relative to the top level, also from a subdirectory", async () => {
  const { repo } = twoRunRepo({ files: { "src/m.ts": "m1\n" } });
  const sub = join(repo, "src");
  const o = await cli(sub, ["--allow-read=../.exprag", "--allow-run=git"], [
    "cat",
    A,
    "src/m.ts",
    "--dir",
    "../.exprag",
  ]);
  equal(o.code, 0, o.stderr);
  equal(o.stdout, "m1\n");
});

Deno.test("cat: a path the run lacks is exit 1 naming the closest path; a directory is exit 1", async () => {
  const { repo } = twoRunRepo({ files: { "src/model.ts": "m\n" } });
  const o = await cli(repo, G, ["cat", A, "src/modle.ts"]);
  equal(o.code, 1);
  equal(o.stdout, "");
  match(
    oneLine(o.stderr),
    /src\/modle\.ts is not in the code of run .*did you mean src\/model\.ts\?/,
  );
  const moved = await cli(repo, G, ["cat", A, "model.ts"]);
  match(oneLine(moved.stderr), /did you mean src\/model\.ts\?/);
  const d = await cli(repo, G, ["cat", A, "src"]);
  equal(d.code, 1);
  match(oneLine(d.stderr), /src is a directory/);
  const none = await cli(repo, G, ["cat", A, "zzzzzzzzzzzzzzz.py"]);
  equal(none.code, 1);
  ok(!oneLine(none.stderr).includes("did you mean"), none.stderr);
});

Deno.test("cat: absolute paths, .. escapes and option-like paths are refused before git runs", async () => {
  const { repo } = twoRunRepo();
  const { env, log } = loggingGit();
  const outside = join(tempDir("exprag-outside-"), "secret.txt");
  Deno.writeTextFileSync(outside, "secret\n");
  for (
    const bad of [
      outside,
      "../secret.txt",
      "src/../../x",
      "--output=/tmp/x",
      "-p",
    ]
  ) {
    const o = await cli(repo, G, ["cat", A, "--", bad], env);
    equal(o.code, 2, `${bad}: ${o.stdout}${o.stderr}`);
    equal(o.stdout, "");
    match(oneLine(o.stderr), /absolute|leaves the repository|starts with -/);
  }
  equal(Deno.readTextFileSync(log), "", "git ran for a refused path");
  // inside the repository after normalisation: fine
  const ok1 = await cli(repo, G, ["cat", A, "src/../train.ts"]);
  equal(ok1.stdout, "const lr = 0.1;\n", ok1.stderr);
});

Deno.test("cat: needs only --allow-read of the exprag dir and --allow-run=git, and says which is missing", async () => {
  const { repo } = twoRunRepo();
  const o = await cli(repo, ["--allow-read=.exprag"], ["cat", A, "train.ts"]);
  equal(o.code, 1);
  match(oneLine(o.stderr), /--allow-run=git/);
});

Deno.test("cat: a file inside a dirty submodule is read from the run's snapshot of it", async () => {
  const lib = makeRepo({ "x.ts": "lib v1\n" });
  const repo = makeRepo({ ".gitignore": ".exprag/\n" });
  addSubmodule(repo, lib, "lib");
  Deno.writeTextFileSync(join(repo, "lib", "x.ts"), "lib dirty\n");
  const r = await trackedRun(repo);
  ok(Array.isArray(r.g.submodules), JSON.stringify(r.g));
  git(join(repo, "lib"), "checkout", "-q", "--", "x.ts");
  const o = await cli(repo, G, ["cat", r.id, "lib/x.ts"]);
  equal(o.code, 0, o.stderr);
  equal(o.stdout, "lib dirty\n");
  const miss = await cli(repo, G, ["cat", r.id, "lib/y.ts"]);
  equal(miss.code, 1);
  match(
    oneLine(miss.stderr),
    /lib\/y\.ts is not in the code of run .*did you mean lib\/x\.ts\?/,
  );
  // the submodule not checked out here: a clear error
  git(repo, "submodule", "deinit", "-q", "-f", "lib");
  const gone = await cli(repo, G, ["cat", r.id, "lib/x.ts"]);
  equal(gone.code, 1);
  match(
    oneLine(gone.stderr),
    /inside submodule lib, whose commit [0-9a-f]+ in run .* \(its recorded snapshot\) is not in a checked-out submodule here/,
  );
});

Deno.test("cat: a dirty run without a snapshot gives its base commit's file with a note saying so", async () => {
  const { repo, dir, head } = twoRunRepo();
  const id = "ffffffff-0000-4000-8000-00000000000f";
  writeDenoRun(dir, {
    id,
    daysAgo: 0.5,
    end: "finished",
    git: { commit: head, branch: "main", dirty: true, head, mode: "state" },
  });
  const o = await cli(repo, G, ["cat", id, "train.ts"]);
  equal(o.code, 0, o.stderr);
  equal(o.stdout, "const lr = 0.1;\n");
  match(
    oneLine(o.stderr),
    /^exprag: note: run ffffffff\S* was dirty but its uncommitted edits were not captured \(no snapshot was taken\): this is the file in its base commit$/,
  );
});
