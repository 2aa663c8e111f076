// A `.exprag` that is a symbolic link to a directory that does not exist
// (a scratch disk not mounted, a moved project): every command says so,
// instead of git's or mkdir's "File exists" or a bare "no runs directory".
import { match, ok, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import { IMPORT_TRACKER, runScript, tempDir } from "./_helpers.ts";
import { cli } from "./_cli_fixtures.ts";
import { TRACK, trackedRun } from "./_git_fixtures.ts";
import { PULL, PUSH, READ, world } from "./_sync_fixtures.ts";

function danglingExprag(dir: string): string {
  const target = join(tempDir("exprag-gone-"), "scratch", "exprag");
  Deno.symlinkSync(target, join(dir, ".exprag"));
  return target;
}

Deno.test("new Experiment() under a dangling .exprag link names the link and its missing target", async () => {
  const dir = tempDir("exprag-dangling-");
  const target = danglingExprag(dir);
  const o = await runScript(
    dir,
    IMPORT_TRACKER + `new Experiment("x");\n`,
    [`--allow-read=.`, `--allow-write=.`],
  );
  equal(o.code, 1);
  match(
    o.stderr,
    new RegExp(
      `cannot create ${dir}/\\.exprag/runs: ${dir}/\\.exprag is a symbolic link to ${target}, which does not exist`,
    ),
  );
  ok(!Deno.lstatSync(join(dir, ".exprag")).isDirectory); // left as it was
});

Deno.test("runs under a dangling .exprag link: an empty answer whose note names the link", async () => {
  const dir = tempDir("exprag-dangling-");
  const target = danglingExprag(dir);
  const o = await cli(dir, READ, ["runs"]);
  equal(o.code, 0, o.stderr);
  equal(
    o.stderr.trim(),
    `exprag: note: no runs directory "${dir}/.exprag/runs": ${dir}/.exprag is a symbolic link to ${target}, which does not exist`,
  );
});

Deno.test("pull into a clone whose .exprag is a dangling link: one line naming the link, exit 1, the link left", async () => {
  const { A, B } = world();
  await trackedRun(A);
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  const target = danglingExprag(B);
  const o = await cli(B, PULL, ["pull", "origin"]);
  equal(o.code, 1, o.stdout);
  match(
    o.stderr,
    new RegExp(
      `^exprag: .*${B}/\\.exprag is a symbolic link to ${target}, which does not exist\\n$`,
    ),
  );
  equal(Deno.readLinkSync(join(B, ".exprag")), target);
});

// the tracker's minimal flags (TRACK) name .exprag: the same message there
Deno.test("the tracker's minimal flags give the same message under a dangling link", async () => {
  const dir = tempDir("exprag-dangling-");
  const target = danglingExprag(dir);
  const o = await runScript(
    dir,
    IMPORT_TRACKER + `new Experiment("x");\n`,
    TRACK,
  );
  equal(o.code, 1);
  match(o.stderr, new RegExp(`symbolic link to ${target}, which does not`));
});
