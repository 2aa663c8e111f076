// The code a run ran, by its tree: `git.tree` in run_start, `compare`'s
// `code` row, `best --group-by`'s note on what else varies within groups,
// and the quieter `show` and `values --run` tables.
// strictEqual: Deno 2.9.6's node:assert/strict `equal` compares loosely (undefined == null)
import {
  deepStrictEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import {
  commitAll,
  git,
  IMPORT_TRACKER,
  makeRepo,
  readJsonl,
  runFiles,
  runScript,
  tempDir,
} from "./_helpers.ts";
import {
  cli,
  makeExprag,
  tableObjects,
  writeDenoRun,
  writePythonRun,
} from "./_cli_fixtures.ts";
import { TRACK, trackedRun } from "./_git_fixtures.ts";

const R = ["--allow-read=.exprag"];

/** The `field → a` column of `compare`'s first table. */
function compareFields(stdout: string): Record<string, string> {
  return Object.fromEntries(tableObjects(stdout).map((r) => [r.field, r.a]));
}

Deno.test("run_start records git.tree: the snapshot's tree when dirty, HEAD's when clean; compare says the code is the same across commits", async () => {
  const repo = makeRepo({ "a.txt": "a\n", ".gitignore": ".exprag/\n" });
  Deno.writeTextFileSync(join(repo, "a.txt"), "edited\n");
  const dirty = await trackedRun(repo); // a snapshot of the edit
  equal(dirty.g.dirty, true);
  equal(dirty.g.tree, git(repo, "rev-parse", `${dirty.g.commit}^{tree}`));
  commitAll(repo, "the edit, committed"); // same code, another commit
  const clean = await trackedRun(repo);
  equal(clean.g.dirty, false);
  equal(clean.g.tree, git(repo, "rev-parse", "HEAD^{tree}"));
  ok(clean.g.commit !== dirty.g.commit);

  const o = await cli(repo, R, ["compare", dirty.id, clean.id]);
  equal(o.code, 0, o.stderr);
  equal(compareFields(o.stdout).code, `same (tree ${clean.g.tree})`);
  ok(!o.stdout.includes("exprag diff"), o.stdout); // nothing to diff
  const j = JSON.parse(
    (await cli(repo, R, ["compare", dirty.id, clean.id, "--json"])).stdout,
  );
  equal(j.code, "same");
  equal(j.same_code, true);
  equal(j.git_diff, null);

  Deno.writeTextFileSync(join(repo, "a.txt"), "changed again\n");
  const other = await trackedRun(repo);
  const d = await cli(repo, R, ["compare", clean.id, other.id]);
  const code = compareFields(d.stdout).code;
  equal(code, `different: exprag diff ${clean.id} ${other.id}`);
  const dj = JSON.parse(
    (await cli(repo, R, ["compare", clean.id, other.id, "--json"])).stdout,
  );
  equal(dj.code, "different");
  equal(dj.same_code, false);
});

Deno.test('a dirty run without a snapshot (git: "state") records tree null: its code is not HEAD\'s', async () => {
  const repo = makeRepo({ "a.txt": "a\n", ".gitignore": ".exprag/\n" });
  Deno.writeTextFileSync(join(repo, "a.txt"), "edited\n");
  const o = await runScript(
    repo,
    IMPORT_TRACKER + `new Experiment("s", { git: "state" }).end();\n`,
    TRACK,
  );
  equal(o.code, 0, o.stderr);
  const [file] = runFiles(join(repo, ".exprag"));
  const g = (readJsonl(file)[0].value as { git: Record<string, unknown> }).git;
  equal(g.dirty, true);
  equal(g.mode, "state");
  equal(g.tree, null);
});

Deno.test("compare: code unknown when a run recorded no tree (older and Python runs)", async () => {
  const root = tempDir("exprag-code-");
  const dir = makeExprag(root);
  const commit = "1".repeat(40);
  const py = writePythonRun(dir, {
    git: { branch: "main", commit: "2".repeat(40), dirty: false },
    tracks: [{ value: { loss: 1 } }],
  });
  const ours = writeDenoRun(dir, {
    end: "finished",
    git: { commit, branch: "main", dirty: false, tree: "3".repeat(40) },
    tracks: [{ value: { loss: 2 } }],
  });
  const o = await cli(root, R, ["compare", py, ours]);
  equal(o.code, 0, o.stderr);
  match(
    compareFields(o.stdout).code,
    /^unknown \(a run recorded no tree\): exprag diff /,
  );
  const j = JSON.parse(
    (await cli(root, R, ["compare", py, ours, "--json"]))
      .stdout,
  );
  equal(j.code, "unknown");
  equal(j.same_code, false);
});

Deno.test("best --group-by notes the metadata leaves and code that vary within groups", async () => {
  const root = tempDir("exprag-groups-");
  const dir = makeExprag(root);
  const runs = [
    { lr: 0.1, batch_size: 8, tree: "a".repeat(40), acc: 0.5 },
    { lr: 0.1, batch_size: 16, tree: "b".repeat(40), acc: 0.6 },
    { lr: 0.2, batch_size: 8, tree: "a".repeat(40), acc: 0.7 },
  ];
  for (const r of runs) {
    writeDenoRun(dir, {
      end: "finished",
      metadata: { hparams: { lr: r.lr, batch_size: r.batch_size } },
      git: {
        commit: "c".repeat(40),
        branch: "main",
        dirty: false,
        tree: r.tree,
      },
      tracks: [{ value: { acc: r.acc } }],
    });
  }
  const o = await cli(root, R, [
    "best",
    "value.acc",
    "--group-by",
    "metadata.hparams.lr",
  ]);
  equal(o.code, 0, o.stderr);
  match(
    o.stderr,
    /^exprag: note: within groups, also varying: git\.tree, metadata\.hparams\.batch_size$/m,
  );
  const j = JSON.parse(
    (await cli(root, R, [
      "best",
      "value.acc",
      "--group-by",
      "metadata.hparams.lr",
      "--json",
    ])).stdout,
  );
  deepStrictEqual(j.varying, ["git.tree", "metadata.hparams.batch_size"]);
  // grouped by everything that varies: nothing else to say
  const all = await cli(root, R, [
    "best",
    "value.acc",
    "--group-by",
    "metadata.hparams.lr",
    "--group-by",
    "metadata.hparams.batch_size",
    "--group-by",
    "git.tree",
  ]);
  equal(all.code, 0, all.stderr);
  ok(!all.stderr.includes("also varying"), all.stderr);
});

Deno.test("values --run: no run column, the line only, the file named once", async () => {
  const root = tempDir("exprag-values-");
  const dir = makeExprag(root);
  const id = writeDenoRun(dir, {
    end: "finished",
    tracks: [{ value: { loss: 1 } }, { value: { loss: 0.5 } }],
  });
  const o = await cli(root, R, ["values", "value.loss", "--run", id]);
  equal(o.code, 0, o.stderr);
  equal(
    o.stderr,
    `exprag: note: run ${id}, lines of .exprag/runs/${id}.jsonl\n`,
  );
  equal(o.stdout.split("\n")[0], "time\telapsed_ms\tvalue\tnote\tline");
  ok(!o.stdout.includes(id), o.stdout);
  deepStrictEqual(tableObjects(o.stdout).map((r) => r.line), ["2", "3"]);
  // --json unchanged: run_id and source on every row
  const j = JSON.parse(
    (await cli(root, R, ["values", "value.loss", "--run", id, "--json"]))
      .stdout,
  );
  equal(j[0].run_id, id);
  equal(j[0].source, `.exprag/runs/${id}.jsonl:2`);
});

Deno.test("show leaves out empty values and folds unavailable.* into one row; --json keeps them", async () => {
  const root = tempDir("exprag-show-");
  const dir = makeExprag(root);
  const id = writeDenoRun(dir, { end: "finished", tracks: [] });
  // a run_start with unavailable reasons
  const file = join(dir, "runs", `${id}.jsonl`);
  const lines = Deno.readTextFileSync(file).split("\n");
  const start = JSON.parse(lines[0]);
  start.value.unavailable = {
    "host.boot_id": "cannot read /proc: --allow-read",
    "process.start_ticks": "cannot read /proc: --allow-read",
  };
  lines[0] = JSON.stringify(start);
  Deno.writeTextFileSync(file, lines.join("\n"));
  const o = await cli(root, R, ["show", id]);
  equal(o.code, 0, o.stderr);
  const rows = Object.fromEntries(
    tableObjects(o.stdout).map((r) => [r.key, r.value]),
  );
  equal(rows["host.boot_id"], undefined); // null: left out
  equal(rows["process.start_ticks"], undefined);
  equal(rows["host.hostname"], "deno-host-elsewhere");
  equal(
    rows.unavailable,
    "host.boot_id, process.start_ticks (reasons: --json)",
  );
  ok(!o.stdout.includes("unavailable.host"), o.stdout);
  const j = JSON.parse((await cli(root, R, ["show", id, "--json"])).stdout);
  equal(j.run.start.host.boot_id, null);
  equal(
    j.run.start.unavailable["host.boot_id"],
    "cannot read /proc: --allow-read",
  );
});
