// Adversarial pass over the one `git fast-import` that writes every new
// commit of a push (src/git/sync_writer.ts): a first push of thousands of
// runs (its answers to get-mark fill the pipe before all the questions are
// written) and a fast-import that dies half-way (git's reason, not a broken
// pipe), in SHA-1 and SHA-256 repositories; and a push from a clone behind
// the remote (the remote's copies read in batches, not one git per run).
import {
  deepStrictEqual as deepEqual,
  ok,
  rejects,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { git, gitInput } from "./_helpers.ts";
import { cli, writeDenoRun } from "./_cli_fixtures.ts";
import { countedGit, inRepo, PULL, PUSH, world } from "./_sync_fixtures.ts";
import { FileCommitWriter } from "../src/git/sync_writer.ts";

/** `p`, or a rejection after `ms` (a hang fails the test instead of stalling it). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer in ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

for (const format of ["sha1", "sha256"] as const) {
  Deno.test(`FileCommitWriter: 8,000 commits in one import end (the answers to get-mark are read as they come, not after the last question) (${format})`, async () => {
    await inRepo(format, async (dir) => {
      const n = 8000;
      const w = new FileCommitWriter();
      const handles: number[] = [];
      for (let i = 0; i < n; i++) {
        handles.push(
          await w.add({
            name: `run-${i}.jsonl`,
            bytes: new TextEncoder().encode(`{"i":${i}}\n`),
            parent: null,
            message: `exprag run run-${i}\n`,
          }),
        );
      }
      const got = await within(w.finish(), 60_000, "finish");
      equal(got.size, n);
      const last = got.get(handles[n - 1])!;
      equal(git(dir, "show", `${last}:run-${n - 1}.jsonl`), `{"i":${n - 1}}`);
      equal(git(dir, "for-each-ref"), "", "no ref is left");
    });
  });

  Deno.test(`FileCommitWriter: a fast-import that dies half-way (a parent git does not have) fails with git's reason, not a broken pipe, and the next import works (${format})`, async () => {
    await inRepo(format, async (dir) => {
      const missing = "1".repeat(format === "sha1" ? 40 : 64);
      const w = new FileCommitWriter();
      const failed = (async () => {
        await w.add({
          name: "a.jsonl",
          bytes: new TextEncoder().encode("{}\n"),
          parent: missing,
          message: "exprag run a\n",
        });
        // more than the pipes hold: the writes meet the dead process
        for (let i = 0; i < 100; i++) {
          await w.add({
            name: `b${i}.jsonl`,
            bytes: new Uint8Array(100_000),
            parent: null,
            message: `exprag run b${i}\n`,
          });
        }
        await w.finish();
      })();
      await rejects(within(failed, 60_000, "the failed import"), (e: Error) => {
        ok(e.message.startsWith("git fast-import failed: "), e.message);
        ok(!/broken pipe/i.test(e.message), e.message);
        ok(e.message.includes(missing), e.message);
        return true;
      });
      const again = new FileCommitWriter();
      const h = await again.add({
        name: "a.jsonl",
        bytes: new TextEncoder().encode("{}\n"),
        parent: null,
        message: "exprag run a\n",
      });
      const got = await again.finish();
      deepEqual([...got.keys()], [h]);
      equal(git(dir, "for-each-ref"), "", "no ref is left");
    });
  });
}

/** The git processes a CLI call starts (a logging git first on PATH). */
async function gitCalls(
  dir: string,
  o: { flags: string[]; args: string[]; last: string },
): Promise<number> {
  const { calls, last } = await countedGit(dir, o);
  equal(last, o.last);
  return calls;
}

/**
 * git processes of a push from B, which pulled n runs (each with notes)
 * that A then grew and noted again, while B added a note of its own to
 * each: every run's remote copy is longer, every notes file is merged.
 */
async function behindCalls(n: number): Promise<number> {
  const { A, B } = world();
  Deno.mkdirSync(join(A, ".exprag", "runs"), { recursive: true });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(writeDenoRun(join(A, ".exprag"), {
      tracks: [{ value: { acc: i / n } }],
    }));
  }
  const NOTE = ["--allow-read=.exprag", "--allow-write=.exprag"];
  const note = async (dir: string, id: string, text: string) =>
    equal((await cli(dir, NOTE, ["note", id, text])).code, 0);
  for (const id of ids) await note(A, id, "from A");
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  equal((await cli(B, PULL, ["pull", "origin"])).code, 0);
  for (const id of ids) {
    const f = join(A, ".exprag", "runs", `${id}.jsonl`);
    const text = Deno.readTextFileSync(f);
    Deno.writeTextFileSync(f, text + text.split("\n")[1] + "\n");
    await note(A, id, "A again");
    await note(B, id, "from B");
  }
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  return await gitCalls(B, {
    flags: PUSH,
    args: ["push", "origin"],
    last: `pushed 0 runs, ${n} notes file${
      n === 1 ? "" : "s"
    }, 0 code refs; ${n} up to date; 0 conflicts`,
  });
}

Deno.test("a push behind the remote (every run's copy there longer, every notes file merged) runs as many git processes for 30 runs as for 3", async () => {
  const few = await behindCalls(3);
  const many = await behindCalls(30);
  ok(few > 0, "the counting git is the one used");
  equal(many, few);
});

/**
 * Root cannot be refused a read: then the CLI runs as nobody (setpriv), the
 * world theirs, from a copy of the package inside it (the checkout may be
 * where nobody cannot read, e.g. a clean clone under a 0700 temporary dir).
 */
function asReader(
  root: string,
): { cmd: string; pre: string[]; cli: string } | null {
  const here = new URL("../cli.ts", import.meta.url).pathname;
  if (Deno.uid() !== 0) return { cmd: Deno.execPath(), pre: [], cli: here };
  const ok = (c: string[]) => {
    try {
      return new Deno.Command(c[0], {
        args: c.slice(1),
        stdout: "null",
        stderr: "null",
      })
        .outputSync().success;
    } catch {
      return false;
    }
  };
  if (!ok(["setpriv", "--version"]) || !ok(["id", "-u", "nobody"])) return null;
  const id = (f: string) =>
    new TextDecoder().decode(
      new Deno.Command("id", { args: [f, "nobody"], stdout: "piped" })
        .outputSync()
        .stdout,
    ).trim();
  const pkg = join(root, "pkg");
  Deno.mkdirSync(pkg);
  const top = new URL("..", import.meta.url).pathname;
  const parts = ["cli.ts", "mod.ts", "src"].map((f) => join(top, f));
  if (!ok(["cp", "-R", ...parts, pkg])) return null;
  if (!ok(["chown", "-R", "nobody", root])) return null;
  const home = join(root, "home");
  Deno.mkdirSync(home);
  Deno.chownSync(home, Number(id("-u")), null);
  return {
    cmd: "setpriv",
    pre: [
      `--reuid=${id("-u")}`,
      `--regid=${id("-g")}`,
      "--clear-groups",
      "env",
      `HOME=${home}`,
      `DENO_DIR=${home}`,
      Deno.execPath(),
    ],
    cli: join(pkg, "cli.ts"),
  };
}

/** `push` or `pull origin --json` with its minimal flags, as {@linkcode asReader} says. */
async function syncAs(
  as: { cmd: string; pre: string[]; cli: string },
  cwd: string,
  verb: "push" | "pull",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const flags = verb === "push" ? PUSH : PULL;
  const out = await new Deno.Command(as.cmd, {
    args: [
      ...as.pre,
      "run",
      "--no-prompt",
      ...flags,
      as.cli,
      verb,
      "origin",
      "--json",
    ],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return {
    code: out.code,
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
  };
}

Deno.test({
  name:
    "a run file and a notes file this user cannot read are skipped, named with the reason; the other runs are pushed, and no temporary pack is left",
  ignore: Deno.build.os === "windows",
  async fn() {
    const { remote, A } = world();
    Deno.mkdirSync(join(A, ".exprag", "runs"), { recursive: true });
    const ids = [0, 1, 2].map(() =>
      writeDenoRun(join(A, ".exprag"), { tracks: [{ value: { acc: 1 } }] })
    );
    const NOTE = ["--allow-read=.exprag", "--allow-write=.exprag"];
    equal((await cli(A, NOTE, ["note", ids[2], "kept"])).code, 0);
    const as = asReader(join(A, ".."));
    if (as === null) return; // root without setpriv: nothing can be refused
    Deno.chmodSync(join(A, ".exprag", "runs", `${ids[1]}.jsonl`), 0);
    Deno.chmodSync(join(A, ".exprag", "notes", `${ids[2]}.jsonl`), 0);
    const { stdout, stderr } = await syncAs(as, A, "push");
    ok(stdout.startsWith("{"), stdout + stderr);
    const actions = JSON.parse(stdout).actions as {
      kind: string;
      id: string;
      action: string;
      detail: string;
    }[];
    const by = (kind: string, id: string) =>
      actions.find((a) => a.kind === kind && a.id === id);
    equal(by("runs", ids[0])?.action, "pushed");
    equal(by("runs", ids[2])?.action, "pushed");
    equal(by("runs", ids[1])?.action, "skipped");
    ok(/^cannot read: .*[Pp]ermission denied/.test(by("runs", ids[1])!.detail));
    equal(by("notes", ids[2])?.action, "skipped");
    deepEqual(
      // the remote is nobody's now: root's git asked to read it all the same
      git(
        remote,
        "-c",
        "safe.directory=*",
        "for-each-ref",
        "--format=%(refname)",
        "refs/exprag",
      ).split(
        "\n",
      )
        .sort(),
      [ids[0], ids[2]].map((id) => `refs/exprag/sync/runs/${id}`).sort(),
    );
    const pack = join(A, ".git", "objects", "pack");
    deepEqual(
      [...Deno.readDirSync(pack)].filter((e) => e.name.startsWith("tmp_")),
      [],
    );
  },
});

Deno.test({
  name:
    "pull: a local run file this user cannot read is a conflict of that run only (kept, named); the other grown run is pulled",
  ignore: Deno.build.os === "windows",
  async fn() {
    const { A, B } = world();
    Deno.mkdirSync(join(A, ".exprag", "runs"), { recursive: true });
    const ids = [0, 1, 2].map(() =>
      writeDenoRun(join(A, ".exprag"), { tracks: [{ value: { acc: 1 } }] })
    );
    equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
    equal((await cli(B, PULL, ["pull", "origin"])).code, 0);
    for (const id of ids.slice(0, 2)) {
      const f = join(A, ".exprag", "runs", `${id}.jsonl`);
      const text = Deno.readTextFileSync(f);
      Deno.writeTextFileSync(f, text + text.split("\n")[1] + "\n");
    }
    equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
    const as = asReader(join(B, ".."));
    if (as === null) return; // root without setpriv: nothing can be refused
    const locked = join(B, ".exprag", "runs", `${ids[0]}.jsonl`);
    const before = Deno.readFileSync(locked);
    Deno.chmodSync(locked, 0);
    const { code, stdout, stderr } = await syncAs(as, B, "pull");
    equal(code, 1, stdout + stderr);
    const actions = JSON.parse(stdout).actions as {
      id: string;
      action: string;
      detail: string;
    }[];
    const by = (id: string) => actions.find((a) => a.id === id);
    equal(by(ids[0])?.action, "conflict");
    ok(/[Pp]ermission denied.*; kept$/.test(by(ids[0])!.detail));
    equal(by(ids[1])?.action, "pulled");
    equal(by(ids[2])?.action, "up_to_date");
    Deno.chmodSync(locked, 0o644);
    deepEqual(Deno.readFileSync(locked), before, "kept as it was");
    deepEqual(
      Deno.readFileSync(join(B, ".exprag", "runs", `${ids[1]}.jsonl`)),
      Deno.readFileSync(join(A, ".exprag", "runs", `${ids[1]}.jsonl`)),
    );
  },
});

Deno.test("push: a remote run or notes ref naming a blob or a tree (another tool's) is a conflict saying so, the remote left as it is; the other runs are pushed", async () => {
  const { remote, A } = world();
  Deno.mkdirSync(join(A, ".exprag", "runs"), { recursive: true });
  const ids = [0, 1].map(() =>
    writeDenoRun(join(A, ".exprag"), { tracks: [{ value: { acc: 1 } }] })
  );
  const NOTE = ["--allow-read=.exprag", "--allow-write=.exprag"];
  equal((await cli(A, NOTE, ["note", ids[0], "kept"])).code, 0);
  const blob = await gitInput(
    remote,
    ["hash-object", "-w", "--stdin"],
    new TextEncoder().encode("not a run\n"),
  );
  const tree = await gitInput(remote, ["mktree"], new Uint8Array());
  git(remote, "update-ref", `refs/exprag/sync/runs/${ids[0]}`, blob);
  git(remote, "update-ref", `refs/exprag/sync/notes/${ids[0]}`, tree);
  const before = git(remote, "for-each-ref");
  const out = await cli(A, PUSH, ["push", "origin", "--json"]);
  equal(out.code, 1, out.stdout + out.stderr);
  const actions = JSON.parse(out.stdout).actions as {
    kind: string;
    id: string;
    action: string;
    detail: string;
  }[];
  const by = (kind: string, id: string) =>
    actions.find((a) => a.kind === kind && a.id === id);
  for (const [kind, sha] of [["runs", blob], ["notes", tree]]) {
    deepEqual(by(kind, ids[0]), {
      kind,
      id: ids[0],
      action: "conflict",
      detail: `the remote's ref names no commit (${
        sha.slice(0, 12)
      }); the remote was left as it is`,
    });
  }
  equal(by("runs", ids[1])?.action, "pushed");
  equal(
    git(remote, "for-each-ref").split("\n").filter((l) => !before.includes(l))
      .length,
    1,
    "only the other run's ref is new",
  );
});
