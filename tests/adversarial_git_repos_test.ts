// Adversarial pass over real repository situations (issue 9): for each, a
// training script runs under the documented flags; then the recorded commit
// is restored with `exprag checkout RUN --worktree DIR` and compared byte for
// byte (contents, exec bits, symlinks) with what the worktree held at run
// start (tracked and untracked-not-ignored files), and HEAD, the index (with
// its stat data), the stash, the refs and every file of the user (ignored
// ones too) must be unchanged by the run.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  differences,
  exprag,
  gitMeta,
  manifest,
  repoWith,
  sh,
  snapshotPart,
  train,
} from "./_adversarial.ts";
import { tempDir } from "./_helpers.ts";

interface Exact {
  /** Where the training script runs (default: the top level). */
  cwd?: string;
  /** The training script's whole environment (default: inherited). */
  env?: Record<string, string>;
  /** The environment git needs to see this repository (bare + work tree). */
  gitEnv?: Record<string, string>;
  /** Training flags (default: the documented ones). */
  flags?: string[];
  /**
   * Nested repositories (untracked, with commits): recorded as gitlinks and
   * restored by checkout at their commit, as a linked worktree of the
   * user's repository (so their `.git` is a file there, not compared).
   */
  nested?: string[];
}

const BASE_ENV = (): Record<string, string> => ({
  PATH: Deno.env.get("PATH")!,
  HOME: Deno.env.get("HOME")!,
});

/** Trains in `top` and asserts the exact-code promise; returns the run's git. */
async function assertExact(
  label: string,
  top: string,
  o: Exact = {},
): Promise<Record<string, unknown>> {
  const genv = o.gitEnv ?? {};
  const before = await manifest(top);
  const want = snapshotPart(top, before, genv);
  for (const dir of o.nested ?? []) {
    for (const [p, v] of before) {
      if (p.startsWith(`${dir}/`) && !p.startsWith(`${dir}/.git`)) {
        want.set(p, v);
      }
    }
  }
  const meta = gitMeta(top, genv);
  const t = await train(o.cwd ?? top, { env: o.env, flags: o.flags });
  assert.equal(t.code, 0, `${label}: ${t.stderr}`);
  assert.equal(gitMeta(top, genv), meta, `${label}: git state changed`);
  assert.deepEqual(
    differences(before, await manifest(top)),
    [],
    `${label}: user files changed`,
  );
  const g = t.git;
  assert.ok(g !== null, `${label}: no git ${JSON.stringify(t.unavailable)}`);
  assert.equal(
    g.mode,
    "snapshot",
    `${label}: ${JSON.stringify(t.unavailable)}`,
  );
  const wt = join(tempDir("exprag-adv-wt-"), "code");
  if (o.gitEnv === undefined) {
    const c = await exprag(o.cwd ?? top, ["checkout", t.id, "--worktree", wt]);
    assert.equal(c.code, 0, `${label}: checkout: ${c.stderr}`);
  } else {
    sh(top, `git worktree add -q --detach '${wt}' ${g.commit}`, genv);
  }
  const restored = await manifest(wt);
  for (const dir of o.nested ?? []) restored.delete(`${dir}/.git`);
  assert.deepEqual(
    differences(want, restored),
    [],
    `${label}: the restored code differs from the worktree at run start`,
  );
  return g;
}

Deno.test("adversarial worktree shapes: every change kind is restored byte for byte", async () => {
  const cases: [string, Record<string, string>, string][] = [
    [
      "5,000 untracked files",
      { "a.txt": "a\n" },
      "mkdir big && for i in $(seq 1 5000); do echo $i > big/f$i.txt; done",
    ],
    [
      "a file replaced by a directory",
      { "a.txt": "a\n", x: "x\n" },
      "rm x && mkdir x && echo in > x/y",
    ],
    [
      "a directory replaced by a file",
      { "d/y": "y\n", "d/z": "z\n" },
      "rm -r d && echo f > d",
    ],
    [
      "untracked symlinks to outside the repository",
      { "a.txt": "a\n" },
      "ln -s /etc/passwd out && ln -s ../.. up",
    ],
    [
      "a tracked symlink retargeted outside",
      { "a.txt": "a\n" },
      "ln -s a.txt l && git add l && git commit -qm l && rm l && ln -s /etc/hostname l",
    ],
    [
      "a tracked file replaced by a symlink",
      { "a.txt": "a\n", b: "b\n" },
      "rm b && ln -s a.txt b",
    ],
    ["only the executable bit changed", { "a.sh": "echo\n" }, "chmod +x a.sh"],
    [
      "empty files and an empty directory",
      { "a.txt": "a\n" },
      "mkdir emptydir && touch empty && : > a.txt",
    ],
    [
      "names like options, pathspec magic, globs, spaces, newlines",
      { "a.txt": "a\n" },
      "echo x > ./-n; echo y > ':(exclude)a.txt'; echo z > '*'; echo w > 'sp ace'; printf q > $'nl\\nname'",
    ],
    ["a case-only rename", { "Readme.md": "r\n" }, "mv Readme.md README.md"],
    [
      "a staged rename, then edited",
      { "old.py": "print(1)\n".repeat(20) },
      "git mv old.py new.py && echo 'print(2)' >> new.py",
    ],
    [
      "deleted files, staged and not",
      { a: "a\n", b: "b\n", c: "c\n" },
      "rm b && git rm -q c",
    ],
    [
      "staged, then reverted in the worktree",
      { "a.txt": "a\n" },
      "echo staged > a.txt && git add a.txt && echo a > a.txt",
    ],
    [
      "an intent-to-add file",
      { "a.txt": "a\n" },
      "echo n > n.txt && git add -N n.txt",
    ],
    ["a tracked file that .gitignore now matches, edited", {
      "conf.yml": "lr: 1\n",
    }, "echo conf.yml > .gitignore && echo 'lr: 2' > conf.yml"],
  ];
  for (const [label, files, script] of cases) {
    const g = await assertExact(label, repoWith(files, script));
    assert.equal(g.dirty, true, label);
  }
});

Deno.test("adversarial: an untracked nested repository with commits is restored at its commit", async () => {
  const label = "a nested repository with commits (untracked)";
  const top = repoWith(
    { "a.txt": "a\n" },
    "mkdir inner && cd inner && git init -q && echo i > i && git add i && git commit -qm i",
  );
  const g = await assertExact(label, top, { nested: ["inner"] });
  assert.equal(g.dirty, true, label);
});

Deno.test("adversarial git configuration: filters, hooks, signing, fsmonitor, locks, index formats", async () => {
  const hooks = tempDir("exprag-adv-hooks-");
  Deno.writeTextFileSync(join(hooks, "pre-commit"), "#!/bin/sh\nexit 1\n");
  Deno.chmodSync(join(hooks, "pre-commit"), 0o755);
  const excludes = join(tempDir("exprag-adv-excl-"), "ignore");
  Deno.writeTextFileSync(excludes, "*.log\n");
  const edit = "echo e >> a.txt && echo n > n.py";
  const cases: [string, Record<string, string>, string][] = [
    [
      "core.autocrlf=true with CRLF files",
      { "a.txt": "a\n" },
      "git config core.autocrlf true && printf 'b\\r\\nc\\r\\n' > b.txt && printf 'a\\r\\nz\\r\\n' > a.txt",
    ],
    [
      "an lfs-style clean filter whose binary is missing (not required)",
      { "a.txt": "a\n", ".gitattributes": "*.bin filter=lfs -text\n" },
      "git config filter.lfs.clean 'git-lfs-missing clean -- %f' && printf data > w.bin",
    ],
    [
      "core.fsmonitor naming a missing program",
      { "a.txt": "a\n" },
      `git config core.fsmonitor /nonexistent/fsmonitor && ${edit}`,
    ],
    [
      "a failing pre-commit hook, commit.gpgsign=true without gpg",
      { "a.txt": "a\n" },
      `git config core.hooksPath '${hooks}' && git config commit.gpgsign true && git config gpg.program /nonexistent/gpg && ${edit}`,
    ],
    [
      "an index.lock left behind",
      { "a.txt": "a\n" },
      `${edit} && touch .git/index.lock`,
    ],
    [
      "split index and untracked cache",
      { "a.txt": "a\n" },
      `git config core.untrackedCache true && git config core.splitIndex true && git update-index --split-index && git status > /dev/null && ${edit}`,
    ],
    [
      "index version 4, feature.manyFiles",
      { "a.txt": "a\n" },
      `git config feature.manyFiles true && git update-index --index-version 4 && ${edit}`,
    ],
    [
      "status.showUntrackedFiles=no",
      { "a.txt": "a\n" },
      `git config status.showUntrackedFiles no && ${edit}`,
    ],
    [
      "core.ignoreCase=true, a case-only rename",
      { "Readme.md": "r\n" },
      "git config core.ignoreCase true && mv Readme.md README.md",
    ],
    [
      "a FIFO and a socket in the worktree",
      { "a.txt": "a\n" },
      `mkfifo pipe && python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('sock')" && ${edit}`,
    ],
    [
      "a tracked file over 10 MiB, rewritten",
      { "a.txt": "a\n" },
      "head -c 11000000 /dev/urandom > big.bin && git add big.bin && git commit -qm big && head -c 11000000 /dev/urandom > big.bin",
    ],
    [
      "core.excludesFile and info/exclude",
      { "a.txt": "a\n" },
      `git config core.excludesFile '${excludes}' && echo secret > .git/info/exclude && echo s > secret && echo l > x.log && ${edit}`,
    ],
  ];
  for (const [label, files, script] of cases) {
    await assertExact(label, repoWith(files, script));
  }
  // GIT_INDEX_FILE exported (a script started from a git hook): the
  // snapshot is still the worktree, that index file untouched (absent)
  const idx = join(tempDir("exprag-adv-idx-"), "index");
  await assertExact(
    "GIT_INDEX_FILE exported",
    repoWith({ "a.txt": "a\n" }, edit),
    {
      env: { ...BASE_ENV(), GIT_INDEX_FILE: idx },
    },
  );
  assert.throws(() => Deno.statSync(idx));
  // no HOME at all (cron, systemd units)
  await assertExact("HOME unset", repoWith({ "a.txt": "a\n" }, edit), {
    env: { PATH: Deno.env.get("PATH")! },
  });
  // no identity anywhere: HOME without a .gitconfig, no user.* variables
  const anon = repoWith({ "a.txt": "a\n" }, edit);
  await assertExact("no user.name/user.email configured", anon, {
    env: { ...BASE_ENV(), HOME: tempDir("exprag-adv-home-") },
  });
});

Deno.test("adversarial repository layouts: shallow, linked, bare + GIT_WORK_TREE, separate git dir, sha256, unborn, sparse", async () => {
  const edit = "echo e >> a.txt && echo n > n.txt";
  const src = repoWith(
    { "a.txt": "a\n" },
    "echo 2 >> a.txt && git commit -qam 2",
  );
  const shallow = tempDir("exprag-adv-shallow-");
  sh(shallow, `git clone -q --depth 1 'file://${src}' c && cd c && ${edit}`);
  await assertExact("a shallow clone", join(shallow, "c"));

  const linked = join(tempDir("exprag-adv-linked-"), "w");
  sh(
    src,
    `git worktree add -q -b feat '${linked}' && cd '${linked}' && ${edit}`,
  );
  await assertExact("a worktree made with git worktree add", linked);

  const b = tempDir("exprag-adv-bare-");
  sh(b, `git clone -q --bare '${src}' repo.git && mkdir wt`);
  const gitEnv = { GIT_DIR: join(b, "repo.git"), GIT_WORK_TREE: join(b, "wt") };
  sh(join(b, "wt"), `git read-tree -u --reset HEAD && ${edit}`, gitEnv);
  await assertExact("a bare repository with GIT_WORK_TREE", join(b, "wt"), {
    env: { ...BASE_ENV(), ...gitEnv },
    gitEnv,
  });

  const shared = tempDir("exprag-adv-shared-");
  sh(shared, `git clone -q --shared '${src}' c && cd c && ${edit}`);
  await assertExact(
    "objects borrowed through alternates (clone --shared)",
    join(shared, "c"),
  );

  const odd = join(tempDir("exprag-adv-odd-"), "my repo ünï 'q' $x");
  Deno.mkdirSync(odd);
  sh(
    odd,
    `git init -q -b main && echo a > a.txt && git add . && git commit -qm i && ${edit}`,
  );
  await assertExact(
    "a repository path with spaces, unicode, quotes and $",
    odd,
  );
  const link = join(tempDir("exprag-adv-link-"), "repo");
  Deno.symlinkSync(odd, link);
  sh(odd, "echo again >> a.txt");
  await assertExact("training from a path through a symlink", odd, {
    cwd: link,
  });

  const sep = tempDir("exprag-adv-sep-");
  sh(
    sep,
    `git init -q -b main --separate-git-dir=gd wt && cd wt && echo a > a.txt && git add a.txt && git commit -qm i && ${edit}`,
  );
  await assertExact("--separate-git-dir", join(sep, "wt"));

  const sha = tempDir("exprag-adv-sha256-");
  sh(
    sha,
    `git init -q -b main --object-format=sha256 && echo a > a.txt && git add a.txt && git commit -qm i && ${edit}`,
  );
  await assertExact("a SHA-256 repository", sha);

  const unborn = tempDir("exprag-adv-unborn-");
  sh(
    unborn,
    "git init -q -b main && echo a > a.txt && git add a.txt && echo a2 > a.txt && mkdir d && echo b > d/b",
  );
  const g = await assertExact("an unborn branch, staged and edited", unborn);
  assert.equal(g.head, null);

  for (
    const [label, script] of [
      [
        "a unicode branch name with slashes",
        "git checkout -q -b 'feat/ünïcødé/x'",
      ],
      ["a detached HEAD", "git checkout -q --detach"],
      ["a sparse checkout (cone)", "git sparse-checkout set in"],
    ]
  ) {
    const r = repoWith(
      { "a.txt": "a\n", "in/x": "x\n", "out/y": "y\n" },
      script,
    );
    sh(r, "echo e >> in/x && echo n > in/n");
    const got = await assertExact(label, r);
    if (label.startsWith("a sparse")) {
      // the file outside the cone is kept at HEAD's version, not deleted
      const ls = sh(r, `git ls-tree -r --name-only ${got.commit}`);
      assert.match(ls, /^out\/y$/m);
    }
  }
});

Deno.test("adversarial exprag directory placements: ignored, tracked, in a subdirectory, EXPRAG_DIR in a sibling", async () => {
  const edit = "echo e >> a.txt";
  await assertExact(
    ".exprag ignored",
    repoWith({ "a.txt": "a\n", ".gitignore": ".exprag/\n" }, edit),
  );
  await assertExact(
    ".exprag with committed run files",
    repoWith(
      { "a.txt": "a\n" },
      `mkdir -p .exprag/runs && echo '{}' > .exprag/runs/old.jsonl && git add -f .exprag && git commit -qm runs && ${edit}`,
    ),
  );
  const sub = repoWith(
    { "a.txt": "a\n", "src/m.py": "m\n" },
    `${edit} && echo n > src/n.py`,
  );
  // the run file lands in src/.exprag (the directory training runs in)
  const g = await assertExact("training from a subdirectory", sub, {
    cwd: join(sub, "src"),
  });
  assert.equal(g.exprag_dir, "src/.exprag");
  const ls = sh(sub, `git ls-tree -r --name-only ${g.commit}`);
  assert.doesNotMatch(ls, /\.exprag/);

  const sib = repoWith({ "a.txt": "a\n" }, edit);
  const dir = join(tempDir("exprag-adv-sibling-"), "runs-here");
  const t = await train(sib, {
    env: { ...BASE_ENV(), EXPRAG_DIR: dir },
    flags: [
      `--allow-write=${dir}`,
      "--allow-read=.",
      "--allow-run=git",
      "--allow-env=EXPRAG_DIR",
    ],
  });
  assert.equal(t.code, 0, t.stderr);
  assert.equal(t.git?.exprag_dir, null);
  assert.equal(t.git?.mode, "snapshot");
  assert.match(sh(sib, `git show ${t.git?.commit}:a.txt`), /^a\ne\n$/);
});
