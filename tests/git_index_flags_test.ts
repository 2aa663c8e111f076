// The index flag reader (src/git/index_flags.ts) on the bytes of real index
// files that git wrote, versions 2, 3 and 4 (prefix-compressed paths).
import assert from "node:assert/strict";
import { join } from "node:path";
import { git, makeRepo } from "./_helpers.ts";
import { flaggedEntries } from "../src/git/index_flags.ts";
import { pathText } from "../src/git/quote.ts";

function flagsOf(repo: string) {
  const found = flaggedEntries(Deno.readFileSync(join(repo, ".git/index")), 20);
  assert.notEqual(found, null);
  return found!.map((
    e,
  ) => [pathText(e.path), e.skipWorktree, e.assumeUnchanged]);
}

Deno.test("index flags: skip-worktree and assume-unchanged entries found in index versions 2, 3 and 4", () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 30; i++) files[`dir/sub/file-${i}.txt`] = `${i}\n`;
  files["a-long-name-".repeat(10) + ".txt"] = "long\n";
  const repo = makeRepo(files);
  assert.deepEqual(flagsOf(repo), [], "nothing flagged (version 2)");
  git(repo, "update-index", "--assume-unchanged", "dir/sub/file-3.txt");
  assert.deepEqual(flagsOf(repo), [["dir/sub/file-3.txt", false, true]]);
  git(
    repo,
    "update-index",
    "--skip-worktree",
    "dir/sub/file-17.txt",
    "dir/sub/file-3.txt",
  );
  const expected = [
    ["dir/sub/file-17.txt", true, false],
    ["dir/sub/file-3.txt", true, true],
  ];
  assert.deepEqual(flagsOf(repo), expected, "version 3 (extended flags)");
  git(repo, "update-index", "--index-version", "4");
  assert.deepEqual(
    flagsOf(repo),
    expected,
    "version 4 (prefix-compressed paths)",
  );
  const v4 = flaggedEntries(Deno.readFileSync(join(repo, ".git/index")), 20)!;
  assert.equal(v4[0].oid, git(repo, "rev-parse", "HEAD:dir/sub/file-17.txt"));
  assert.equal(v4[0].mode, 0o100644);
});

Deno.test("index flags: a file that is not an index, or a split index, is left to git (null)", () => {
  assert.equal(
    flaggedEntries(new TextEncoder().encode("not an index"), 20),
    null,
  );
  const repo = makeRepo({ "a.txt": "a\n" });
  git(repo, "update-index", "--split-index");
  assert.equal(
    flaggedEntries(Deno.readFileSync(join(repo, ".git/index")), 20),
    null,
  );
});
