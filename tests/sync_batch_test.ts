// The batched lookups of push and pull (src/git/sync_batch.ts) against git's
// own one-at-a-time answers on real repositories (SHA-1 and SHA-256), and the
// reason they exist: a push or pull with nothing to move runs as many git
// processes for 40 runs as for 3.
import {
  deepStrictEqual as deepEqual,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { git, gitInput } from "./_helpers.ts";
import { cli, writeDenoRun } from "./_cli_fixtures.ts";
import { countedGit, inRepo, PULL, PUSH, world } from "./_sync_fixtures.ts";
import {
  BlobBatches,
  blobHash,
  existingCommits,
  fileEntries,
} from "../src/git/sync_batch.ts";
import { fileCommit, fileEntry } from "../src/git/sync_objects.ts";
import { FileCommitWriter } from "../src/git/sync_writer.ts";

/** git's hash of bytes as a blob (`hash-object -w --stdin`, written). */
function gitHash(dir: string, bytes: Uint8Array): Promise<string> {
  return gitInput(dir, ["hash-object", "-w", "--stdin"], bytes);
}

/** A commit whose tree holds the given entries (mode, name, blob). */
async function commitOf(
  dir: string,
  entries: { mode: string; name: string; blob: string }[],
): Promise<string> {
  const text = entries.map((e) => `${e.mode} blob ${e.blob}\t${e.name}\n`)
    .join("");
  const tree = await gitInput(dir, ["mktree"], new TextEncoder().encode(text));
  return git(dir, "commit-tree", "-m", "x", tree);
}

/** Deterministic pseudo-random bytes. */
function randomBytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    b[i] = s >> 16;
  }
  return b;
}

for (const format of ["sha1", "sha256"] as const) {
  Deno.test(`blobHash equals git hash-object (${format}): empty, text, non-UTF-8, 1 MiB`, async () => {
    await inRepo(format, async (dir) => {
      const cases = [
        new Uint8Array(),
        new TextEncoder().encode('{"kind":"track"}\n'),
        randomBytes(1000, 3),
        randomBytes(1024 * 1024, 5),
      ];
      for (const bytes of cases) {
        const theirs = await gitHash(dir, bytes);
        equal(await blobHash(bytes, theirs), theirs, `${bytes.length} bytes`);
      }
    });
  });

  Deno.test(`fileEntries agrees with fileEntry (ls-tree) on one-file commits, other modes (100664 read as 100644), other names, several files (${format})`, async () => {
    await inRepo(format, async (dir) => {
      const a = await gitHash(dir, new TextEncoder().encode("a\n"));
      const b = await gitHash(dir, randomBytes(5000, 9));
      const name = "0b9a-run.jsonl";
      const commits = [
        await commitOf(dir, [{ mode: "100644", name, blob: a }]),
        await commitOf(dir, [{ mode: "100644", name: "other.jsonl", blob: a }]),
        await commitOf(dir, [{ mode: "120000", name, blob: a }]),
        await commitOf(dir, [{ mode: "100755", name, blob: a }]),
        // early git's group-writable mode: git reads it as 100644
        await commitOf(dir, [{ mode: "100664", name, blob: a }]),
        await commitOf(dir, [{ mode: "100744", name, blob: a }]),
        await commitOf(dir, [
          { mode: "100644", name: "a.jsonl", blob: a },
          { mode: "100644", name, blob: b },
          { mode: "100644", name: "z z.jsonl", blob: a },
        ]),
      ];
      const wanted = commits.map((commit) => ({ commit, name }));
      const ours = await fileEntries(wanted);
      deepEqual(ours, wanted.map((w) => fileEntry(w.commit, w.name)));
      deepEqual(ours.map((e) => e?.size ?? null), [
        2,
        null,
        null,
        null,
        2,
        null,
        5000,
      ]);
      deepEqual(await fileEntries([]), []);
    });
  });

  Deno.test(`existingCommits holds commits and tags of commits (peeled), never blobs, trees or missing hashes (${format})`, async () => {
    await inRepo(format, async (dir) => {
      const blob = await gitHash(dir, new TextEncoder().encode("x"));
      const commit = await commitOf(dir, [
        { mode: "100644", name: "x", blob },
      ]);
      const tree = git(dir, "rev-parse", `${commit}^{tree}`);
      git(dir, "tag", "-a", "-m", "t", "t1", commit);
      const tag = git(dir, "rev-parse", "t1");
      const missing = commit.replace(/^./, (c) => c === "0" ? "1" : "0");
      const got = await existingCommits([
        commit,
        blob,
        tree,
        tag,
        missing,
        commit,
      ]);
      deepEqual([...got.keys()].sort(), [commit, tag].sort());
      equal(got.get(commit), commit);
      equal(got.get(tag), commit, "a tag names the commit it points at");
    });
  });
}

for (const format of ["sha1", "sha256"] as const) {
  Deno.test(`FileCommitWriter makes the very commits fileCommit makes, roots and children, and leaves no ref (${format})`, async () => {
    await inRepo(format, async (dir) => {
      const files = [
        new Uint8Array(),
        new TextEncoder().encode('{"kind":"run_start"}\n'),
        randomBytes(3000, 1),
        new TextEncoder().encode("no final newline"),
        randomBytes(200_000, 2),
      ];
      const refsBefore = git(dir, "for-each-ref");
      // theirs: one file after another, each on the previous as parent
      const theirs: string[] = [];
      for (const [i, bytes] of files.entries()) {
        const blob = await gitHash(dir, bytes);
        theirs.push(
          await fileCommit({
            name: `run-${i}.jsonl`,
            blob,
            parent: i === 0 ? null : theirs[i - 1],
            message: `exprag run run-${i}\n`,
          }),
        );
      }
      const w = new FileCommitWriter();
      const handles: number[] = [];
      for (const [i, bytes] of files.entries()) {
        handles.push(
          await w.add({
            name: `run-${i}.jsonl`,
            bytes,
            parent: i === 0 ? null : theirs[i - 1],
            message: `exprag run run-${i}\n`,
          }),
        );
      }
      const got = await w.finish();
      deepEqual(handles.map((h) => got.get(h)), theirs);
      equal(git(dir, "for-each-ref"), refsBefore);
      deepEqual(await new FileCommitWriter().finish(), new Map());
    });
  });
}

for (const format of ["sha1", "sha256"] as const) {
  Deno.test(`BlobBatches reads every blob as git cat-file blob does: in batches within a budget, out of order, again after its batch is gone, unlisted, larger than a batch, empty (${format})`, async () => {
    await inRepo(format, async (dir) => {
      const sizes = [1000, 0, 1500, 700, 2600, 1000, 10];
      const contents = sizes.map((n, i) => randomBytes(n, i + 1));
      const entries = [];
      for (const b of contents) {
        entries.push({ blob: await gitHash(dir, b), size: b.length });
      }
      const unlisted = randomBytes(300, 99);
      const other = { blob: await gitHash(dir, unlisted), size: 300 };
      // a budget of 2,500 bytes: batches [0,1,2] [3] [4 alone: too large] [5,6]
      const order = [0, 1, 2, 3, 4, 5, 6, 2, 0, 6, 5];
      // (the git processes it saves are counted through the CLI, in a
      // process of its own, below: PATH is not changed in this one, whose
      // test modules run in parallel)
      const batches = new BlobBatches(entries, 2_500);
      for (const i of order) {
        deepEqual(await batches.read(entries[i]), contents[i], `blob ${i}`);
      }
      deepEqual(await batches.read(other), unlisted);
    });
  });
}

/** The git processes a CLI call starts (a logging git first on PATH). */
async function gitCalls(
  dir: string,
  o: { flags: string[]; args: string[]; last: string },
): Promise<number> {
  const { calls, last } = await countedGit(dir, o);
  ok(last.startsWith(o.last), last);
  return calls;
}

/** git processes of a push and a pull that have nothing to move: n runs (a third dirty, with their snapshots) and a notes file. */
async function noOpCalls(
  n: number,
): Promise<
  { firstPush: number; firstPull: number; push: number; pull: number }
> {
  const { A, B } = world();
  const ids: string[] = [];
  Deno.mkdirSync(join(A, ".exprag", "runs"), { recursive: true });
  const tree = git(A, "rev-parse", "HEAD^{tree}");
  for (let i = 0; i < n; i++) {
    // every third run is dirty: its snapshot commit on run/<id>
    const dirty = i % 3 === 0;
    const snapshot = dirty
      ? git(A, "commit-tree", "-p", "HEAD", "-m", `snapshot ${i}`, tree)
      : null;
    const id = writeDenoRun(join(A, ".exprag"), {
      tracks: [{ value: { acc: i / n } }],
      end: "finished",
      git: dirty ? { branch: "main", commit: snapshot, dirty: true } : null,
    });
    if (dirty) git(A, "update-ref", `refs/heads/run/${id}`, snapshot!);
    ids.push(id);
  }
  const items = n + 1 + Math.ceil(n / 3); // runs, one notes file, code refs
  const note = await cli(A, ["--allow-read=.exprag", "--allow-write=.exprag"], [
    "note",
    ids[0],
    "best so far",
  ]);
  equal(note.code, 0, note.stderr);
  const firstPush = await gitCalls(A, {
    flags: PUSH,
    args: ["push", "origin"],
    last: `pushed ${n} runs, 1 notes file, `,
  });
  const firstPull = await gitCalls(B, {
    flags: PULL,
    args: ["pull", "origin"],
    last: `pulled ${n} runs, 1 notes file, `,
  });
  const moved = `${items} up to date; 0 conflicts`;
  return {
    firstPush,
    firstPull,
    push: await gitCalls(A, {
      flags: PUSH,
      args: ["push", "origin"],
      last: `nothing to push; ${moved}`,
    }),
    pull: await gitCalls(B, {
      flags: PULL,
      args: ["pull", "origin"],
      last: `nothing to pull; ${moved}`,
    }),
  };
}

Deno.test("a first push or pull, and a push or a pull with nothing to move, run as many git processes for 40 runs (14 dirty) as for 3 (1 dirty)", async () => {
  const few = await noOpCalls(3);
  const many = await noOpCalls(40);
  ok(few.push > 0 && few.pull > 0, "the counting git is the one used");
  deepEqual(many, few);
});
