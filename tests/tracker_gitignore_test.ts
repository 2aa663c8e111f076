// The exprag directory the tracker creates ignores itself: run files never
// show in `git status`. An existing directory is left as it is.
import { ok, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import { git, IMPORT_TRACKER, makeRepo, runScript } from "./_helpers.ts";

const TRAIN = IMPORT_TRACKER +
  `using exp = new Experiment("t");\nexp.track({ loss: 1 });\n`;
const FLAGS = ["--allow-write=.exprag", "--allow-read=.", "--allow-run=git"];

Deno.test("the tracker creates .exprag with a .gitignore of *: git status stays clean", async () => {
  const repo = makeRepo();
  const out = await runScript(repo, TRAIN, FLAGS);
  equal(out.code, 0, out.stderr);
  equal(Deno.readTextFileSync(join(repo, ".exprag", ".gitignore")), "*\n");
  equal(git(repo, "status", "--porcelain", "--untracked-files=all"), "");
  // a second run leaves the file as it is, and the run is recorded
  Deno.writeTextFileSync(join(repo, ".exprag", ".gitignore"), "*\n# mine\n");
  equal((await runScript(repo, TRAIN, FLAGS)).code, 0);
  equal(
    Deno.readTextFileSync(join(repo, ".exprag", ".gitignore")),
    "*\n# mine\n",
  );
  equal([...Deno.readDirSync(join(repo, ".exprag", "runs"))].length, 2);
});

Deno.test("an existing exprag directory gets no .gitignore; without write on it, none either", async () => {
  const repo = makeRepo();
  Deno.mkdirSync(join(repo, ".exprag"));
  equal((await runScript(repo, TRAIN, FLAGS)).code, 0);
  ok(!exists(join(repo, ".exprag", ".gitignore")));
  const other = makeRepo();
  Deno.mkdirSync(join(other, ".exprag", "runs"), { recursive: true });
  const out = await runScript(other, TRAIN, [
    "--allow-write=.exprag/runs",
    "--allow-read=.",
    "--allow-run=git",
  ]);
  equal(out.code, 0, out.stderr);
  ok(!exists(join(other, ".exprag", ".gitignore")));
});

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
