// Adversarial pass over the batched lookups of push and pull
// (src/git/sync_batch.ts: trees parsed here, blob hashes computed here), as
// a remote written by other tools or older git breaks them, in SHA-1 and
// SHA-256 repositories: a sync commit whose tree stores the run file with a
// non-canonical regular mode (100664, as early git wrote and `git mktree`
// still writes), which git itself reads as 100644; a run ref made an
// annotated tag of its commit, then grown.
import {
  deepStrictEqual as deepEqual,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { git, gitInput } from "./_helpers.ts";
import { cli, writeDenoRun } from "./_cli_fixtures.ts";
import {
  bytes,
  lastLine,
  PULL,
  PUSH,
  runFile,
  world,
} from "./_sync_fixtures.ts";

for (const format of ["sha1", "sha256"] as const) {
  Deno.test(`a remote run file stored with mode 100664 (git reads it as 100644) is pulled, and is up to date for push and pull (${format})`, async () => {
    const { remote, A, B, C } = world("remote.git", format);
    Deno.mkdirSync(join(A, ".exprag", "runs"), { recursive: true });
    const id = writeDenoRun(join(A, ".exprag"), {
      tracks: [{ value: { acc: 0.5 } }, { value: { acc: 0.75 } }],
      end: "finished",
    });
    const pushed = await cli(A, PUSH, ["push", "origin"]);
    equal(pushed.code, 0, pushed.stderr);
    equal((await cli(B, PULL, ["pull", "origin"])).code, 0);

    // the remote's sync commit rewritten by another tool: same blob, mode 100664
    const ref = `refs/exprag/sync/runs/${id}`;
    const name = `${id}.jsonl`;
    const blob = git(remote, "rev-parse", `${ref}:${name}`);
    const tree = await gitInput(
      remote,
      ["mktree"],
      new TextEncoder().encode(`100664 blob ${blob}\t${name}\n`),
    );
    equal(git(remote, "ls-tree", tree), `100644 blob ${blob}\t${name}`);
    const commit = git(remote, "commit-tree", "-p", ref, "-m", "odd", tree);
    git(remote, "update-ref", ref, commit);

    const fresh = await cli(C, PULL, ["pull", "origin", "--json"]);
    equal(fresh.code, 0, fresh.stdout + fresh.stderr);
    deepEqual(
      JSON.parse(fresh.stdout).actions.map((a: { action: string }) => a.action),
      ["pulled"],
    );
    deepEqual(bytes(runFile(C, id)), bytes(runFile(A, id)));
    for (const [m, flags, cmd] of [[B, PULL, "pull"], [A, PUSH, "push"]]) {
      const out = await cli(m as string, flags as string[], [
        cmd as string,
        "origin",
      ]);
      equal(out.code, 0, out.stdout + out.stderr);
      equal(
        lastLine(out.stdout),
        `nothing to ${cmd}; 1 up to date; 0 conflicts`,
      );
    }
    equal(git(remote, "rev-parse", ref), commit, "the remote left as it is");
  });
}

Deno.test("a remote run ref made an annotated tag of its commit (by another tool): the grown run is pushed on top of the tagged commit, not refused by git commit-tree", async () => {
  const { remote, A, B } = world();
  Deno.mkdirSync(join(A, ".exprag", "runs"), { recursive: true });
  const id = writeDenoRun(join(A, ".exprag"), {
    tracks: [{ value: { acc: 0.5 } }],
  });
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  const ref = `refs/exprag/sync/runs/${id}`;
  const commit = git(remote, "rev-parse", ref);
  git(remote, "tag", "-a", "-m", "kept", "kept", commit);
  git(remote, "update-ref", ref, git(remote, "rev-parse", "refs/tags/kept"));
  // the first push fetches the tag object: the next finds it here
  const noop = await cli(A, PUSH, ["push", "origin"]);
  equal(noop.code, 0, noop.stdout + noop.stderr);
  equal(lastLine(noop.stdout), "nothing to push; 1 up to date; 0 conflicts");
  const file = runFile(A, id);
  const text = Deno.readTextFileSync(file);
  Deno.writeTextFileSync(file, text + text.split("\n")[1] + "\n"); // a track more
  const grown = await cli(A, PUSH, ["push", "origin"]);
  equal(grown.code, 0, grown.stdout + grown.stderr);
  equal(
    lastLine(grown.stdout),
    "pushed 1 run, 0 notes files, 0 code refs; 0 up to date; 0 conflicts",
  );
  equal(
    git(remote, "rev-parse", `${ref}^`),
    commit,
    "extends the tagged commit",
  );
  const pulled = await cli(B, PULL, ["pull", "origin"]);
  equal(pulled.code, 0, pulled.stdout + pulled.stderr);
  deepEqual(bytes(runFile(B, id)), bytes(file));
});
