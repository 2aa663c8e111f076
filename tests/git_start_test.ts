// What the tracker does about the code state at run start besides recording
// it: one stderr line when git cannot run at all, and the cleanup of
// temporary files left by captures that were killed. Real Deno processes.
import {
  deepStrictEqual,
  match,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import {
  IMPORT_TRACKER,
  makeRepo,
  readJsonl,
  runFiles,
  runScript,
  tempDir,
} from "./_helpers.ts";

const TWO_RUNS = IMPORT_TRACKER + `
for (const name of ["a", "b"]) { using exp = new Experiment(name); exp.track({ x: 1 }); }
`;

Deno.test("without --allow-run=git the run says once on stderr that the code state is not captured", async () => {
  const repo = makeRepo();
  const o = await runScript(repo, TWO_RUNS, ["--allow-write=.exprag"]);
  equal(o.code, 0, o.stderr);
  equal(
    o.stderr,
    "exprag: code state not captured: run permission for git not granted (--allow-run=git)\n",
  );
  equal(runFiles(join(repo, ".exprag")).length, 2);
});

Deno.test("with git missing from PATH the line says git was not found, distinct from the permission", async () => {
  const repo = makeRepo();
  const o = await runScript(repo, TWO_RUNS, [
    "--allow-write=.exprag",
    "--allow-run=git",
  ], { env: { PATH: tempDir("exprag-nogit-") } });
  equal(o.code, 0, o.stderr);
  // (Deno itself may say it could not resolve git for --allow-run)
  deepStrictEqual(
    o.stderr.split("\n").filter((l) => l.startsWith("exprag:")),
    ["exprag: code state not captured: git not found on PATH"],
  );
  const start = readJsonl(runFiles(join(repo, ".exprag"))[0])[0] as {
    value: { unavailable: Record<string, string> };
  };
  equal(start.value.unavailable.git, "git not found on PATH");
});

Deno.test("nothing is printed for git: false, or when git runs but there is no repository", async () => {
  const repo = makeRepo();
  const off = await runScript(
    repo,
    IMPORT_TRACKER + `using exp = new Experiment("off", { git: false });\n`,
    ["--allow-write=.exprag"],
  );
  equal(off.code, 0, off.stderr);
  equal(off.stderr, "");
  const plain = tempDir("exprag-norepo-");
  const no = await runScript(
    plain,
    IMPORT_TRACKER + `using exp = new Experiment("norepo");\n`,
    ["--allow-write=.exprag", "--allow-read=.", "--allow-run=git"],
  );
  equal(no.code, 0, no.stderr);
  equal(no.stderr, "");
});

Deno.test("stale temporary index files of killed captures are removed at the next run start; fresh ones and other files stay", async () => {
  const repo = makeRepo({ "a.txt": "a\n", ".gitignore": ".exprag/\n" });
  const dir = join(repo, ".exprag");
  Deno.mkdirSync(dir);
  const old = new Date(Date.now() - 3 * 60 * 60 * 1000);
  const id = () => crypto.randomUUID();
  const stale = [
    `.git-index-${id()}.tmp`,
    `.git-index-${id()}.tmp.lock`,
    `.git-pathspec-${id()}.tmp`,
    `.git-index-${id()}-sub0.tmp`,
    `.git-index-0123456789abcdef.tmp.cache-record.${id()}`, // a record being written
  ];
  const kept = [
    `.git-index-${id()}.tmp`, // fresh: may belong to a live capture
    ".git-index-not-a-run-id.tmp", // not a name of ours
    ".git-index-0123456789abcdef.tmp.cache", // a kept index: never stale
    "notes.txt",
  ];
  for (const n of [...stale, ...kept]) {
    Deno.writeTextFileSync(join(dir, n), "x");
  }
  for (const n of [...stale, ...kept.slice(1)]) {
    Deno.utimeSync(join(dir, n), old, old);
  }
  const o = await runScript(
    repo,
    IMPORT_TRACKER + `using exp = new Experiment("clean");\n`,
    ["--allow-write=.exprag", "--allow-read=.", "--allow-run=git"],
  );
  equal(o.code, 0, o.stderr);
  const left = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
    n !== "runs"
  ).sort();
  deepStrictEqual(left, [...kept].sort());
  match(o.stderr, /^$/);
});
