// Hostile run files for every CLI command: a runs directory holding two
// good runs (real snapshot commits in a real repository) next to dozens of
// hostile entries (tests/_faults.ts: binary garbage, BOM, CRLF, non-object
// lines, wrong-typed fields, duplicate run_start, records of another run, a
// 100 MB line, empty files, a directory named x.jsonl, symlinks outside,
// a FIFO, nesting 100,000 levels deep, ...). Every command, table and
// --json: no crash, no stack trace, every stderr line `file:line: reason`
// (or `exprag: ...`), every problem reported, the good runs still
// answered. Then each entry alone, and --strict.
import assert from "node:assert/strict";
import { join } from "node:path";
import { git, tempDir } from "./_helpers.ts";
import { RUN_A as A, RUN_B as B, twoRunRepo } from "./_cli_fixtures.ts";
import {
  argsFor,
  assertCleanStderr,
  cli,
  CLI_COMMANDS,
  exists,
  type HostileFile,
  pool,
  writeHostileFiles,
} from "./_faults.ts";

const FLAGS = ["--allow-read=.exprag", "--allow-run=git"];

interface Fixture {
  repo: string;
  runs: string;
  hostile: HostileFile[];
}

/** A repository with good runs A (clean) and B (dirty snapshot). */
function goodRuns(): { repo: string; dir: string } {
  return twoRunRepo({ metadata: [{ lr: 0.1 }, { lr: 0.03 }] });
}

let fixture: Fixture | undefined;
function all(): Fixture {
  if (fixture) return fixture;
  const { repo, dir } = goodRuns();
  const runs = join(dir, "runs");
  const hostile = writeHostileFiles(runs, join(runs, `${A}.jsonl`), A);
  fixture = { repo, runs, hostile };
  return fixture;
}

/** The runs dir as the CLI names it (relative to the repository). */
const REL = ".exprag/runs";

/** How a command's stdout shows that the good runs were answered. */
function assertAnswered(args: string[], json: boolean, stdout: string) {
  const what = `${args.join(" ")}${json ? " --json" : ""}`;
  const cmd = args[0];
  const has = (s: string) =>
    assert.ok(
      stdout.includes(s),
      `${what}: answers ${s}:\n${stdout.slice(0, 2000)}`,
    );
  if (json) JSON.parse(stdout); // whole, valid JSON
  if (cmd === "runs" || cmd === "git" || cmd === "values") {
    has(A);
    has(B);
  } else if (cmd === "show") has(A);
  else if (cmd === "compare") {
    has(A);
    has(B);
    has("value.metrics.loss");
  } else if (cmd === "paths") has("value.metrics.loss");
  else if (cmd === "best") has("value.metrics.loss");
  else if (cmd === "diff") has("lr = 0.03");
}

Deno.test("every command over a runs directory full of hostile entries: no crash, every problem as file:line, good runs answered", async () => {
  const { repo, runs, hostile } = all();
  assert.ok(hostile.length >= 30, `${hostile.length} hostile entries`);
  const cases = CLI_COMMANDS.flatMap((cmd) =>
    [false, true].map((json) => ({ cmd, json }))
  );
  let invocations = 0;
  await pool(
    3,
    cases.map(({ cmd, json }) => async () => {
      const wt = join(tempDir("exprag-wt-"), "wt");
      const args = argsFor(cmd, { A, B, WT: wt });
      const o = await cli(repo, FLAGS, [...args, ...(json ? ["--json"] : [])]);
      invocations++;
      const what = `${args.join(" ")}${json ? " --json" : ""}`;
      assert.equal(o.code, 0, `${what}: ${o.stderr.slice(-3000)}`);
      const problems = assertCleanStderr(o.stderr, [REL, runs], what);
      assert.equal(
        problems.filter((p) => !p.startsWith("exprag:")).length,
        new Set(problems).size,
        `${what}: each problem reported once`,
      );
      for (const p of problems) {
        assert.ok(
          !p.startsWith(`${REL}/${A}.jsonl`) &&
            !p.startsWith(`${REL}/${B}.jsonl`),
          `${what}: nothing wrong with the good runs: ${p}`,
        );
      }
      assertAnswered(args, json, o.stdout);
      if (cmd.args[0] === "values" || cmd.args[0] === "paths") {
        // whole-file readers report every hostile entry that has a problem
        for (const h of hostile.filter((h) => h.reported)) {
          const name = `${REL}/${
            h.entry.replace("\n", "\\n").replace("\u001b", "\\x1b")
          }`;
          assert.ok(
            problems.some((p) => p.startsWith(name + ":")),
            `${what}: ${h.name} (${h.entry}) reported:\n${
              o.stderr.slice(0, 3000)
            }`,
          );
        }
      }
      if (cmd.args[0] === "checkout") {
        assert.equal(
          Deno.readTextFileSync(join(wt, "train.ts")),
          "const lr = 0.1;\n",
          "run A's code restored",
        );
        git(repo, "worktree", "remove", "--force", wt);
      }
    }),
  );
  console.log(
    `hostile file figures: ${hostile.length} hostile entries × ${invocations} CLI invocations (${CLI_COMMANDS.length} commands, table and --json)`,
  );
});

Deno.test("--strict: the first hostile entry is an error naming file:line, one line, exit 1", async () => {
  const { repo, runs } = all();
  for (
    const args of [["runs", "--strict"], [
      "values",
      "value.metrics.loss",
      "--strict",
    ], ["show", A, "--strict"]]
  ) {
    const o = await cli(repo, FLAGS, args);
    assert.equal(o.code, 1, `${args.join(" ")}: ${o.stderr}`);
    assertCleanStderr(o.stderr, [REL, runs], args.join(" "));
    const lines = o.stderr.trim().split("\n");
    assert.equal(lines.length, 1, o.stderr);
    assert.match(lines[0], /^exprag: \.exprag\/runs\/.+(:\d+)?: /);
  }
});

Deno.test("each hostile entry alone next to the good runs: reported as file:line, its run (if any) answered, the others too", async () => {
  // generate the entries once more (without the 100 MB line), then give
  // each its own runs directory holding only it and copies of A and B
  const { repo, dir } = goodRuns();
  const staging = join(tempDir("exprag-staging-"), "runs");
  Deno.mkdirSync(staging);
  const hostile = writeHostileFiles(
    staging,
    join(dir, "runs", `${A}.jsonl`),
    A,
    { huge: false },
  );
  const groups = new Map<string, HostileFile[]>();
  for (const h of hostile) {
    const key = h.entry.startsWith("loop-") ? "loop" : h.entry;
    groups.set(key, [...(groups.get(key) ?? []), h]);
  }
  let checked = 0;
  await pool(
    3,
    [...groups.values()].map((group) => async () => {
      const root = tempDir("exprag-alone-");
      const runs = join(root, ".exprag", "runs");
      Deno.mkdirSync(runs, { recursive: true });
      for (const id of [A, B]) {
        Deno.copyFileSync(
          join(dir, "runs", `${id}.jsonl`),
          join(runs, `${id}.jsonl`),
        );
      }
      for (const h of group) {
        Deno.renameSync(join(staging, h.entry), join(runs, h.entry));
      }
      const flags = [`--allow-read=${root}/.exprag`, "--allow-run=git"];
      const what = group.map((h) => h.name).join(", ");
      const names = group.map((h) =>
        `${runs}/${h.entry.replace("\n", "\\n").replace("\u001b", "\\x1b")}`
      );
      for (
        const args of [
          ["runs", "--json"],
          ["values", "value.metrics.loss", "--json"],
          ["best", "value.metrics.loss", "--top", "100", "--json"],
        ]
      ) {
        const o = await cli(repo, flags, ["--dir", `${root}/.exprag`, ...args]);
        const label = `${what}: ${args.join(" ")}`;
        assert.equal(o.code, 0, `${label}: ${o.stderr.slice(0, 2000)}`);
        const problems = assertCleanStderr(o.stderr, runs, label);
        for (const p of problems) {
          assert.ok(
            names.some((n) => p.startsWith(n + ":")),
            `${label}: a problem about another file: ${p}`,
          );
        }
        if (args[0] === "values" && group.some((h) => h.reported)) {
          assert.ok(problems.length > 0, `${label}: reported`);
        }
        const out = JSON.parse(o.stdout);
        const text = JSON.stringify(out);
        assert.ok(
          text.includes(A) && text.includes(B),
          `${label}: A and B answered`,
        );
        if (args[0] === "runs") {
          for (const h of group.filter((h) => h.run !== null)) {
            assert.ok(
              out.some((r: { id: string }) => r.id === h.run),
              `${label}: its run ${h.run} is listed`,
            );
          }
        }
      }
      for (const h of group.filter((h) => h.run !== null)) {
        const o = await cli(repo, flags, [
          "--dir",
          `${root}/.exprag`,
          "show",
          h.run!,
          "--json",
        ]);
        assert.equal(o.code, 0, `${h.name}: show: ${o.stderr.slice(0, 2000)}`);
        assertCleanStderr(o.stderr, runs, `${h.name}: show`);
        assert.equal(JSON.parse(o.stdout).run.id, h.run);
      }
      checked += group.length;
      Deno.removeSync(root, { recursive: true });
    }),
  );
  assert.equal(checked, hostile.length);
  assert.ok(!exists("/tmp/exprag-pwned"), "no hostile string ran a command");
});
