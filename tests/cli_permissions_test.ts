// The permission table: every command succeeds under exactly its documented
// minimal flags (taken from the command definitions, the same source the
// README table and SKILL.md come from), and with any one flag removed fails
// with a one-line error naming that flag: never a prompt, never a stack trace.
import {
  deepStrictEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { COMMANDS } from "../src/cli/command.ts";
import { flagVariants } from "../src/cli/flags.ts";
import { git, tempDir } from "./_helpers.ts";
import { flagFor } from "../src/permissions.ts";
import { cli, twoRunRepo } from "./_cli_fixtures.ts";

const A = "aaaaaaaa-1111-4000-8000-00000000000a";
const B = "bbbbbbbb-1111-4000-8000-00000000000b";

function fixture(): string {
  return twoRunRepo({ ids: [A, B] }).repo;
}

/** An empty bare repository standing for a remote. */
function bareRemote(): string {
  const dir = join(tempDir("exprag-perm-remote-"), "remote.git");
  git(tempDir(), "init", "-q", "--bare", dir);
  return dir;
}

/** An invocation of each command that succeeds on the fixture. */
function invocation(name: string): string[] {
  switch (name) {
    case "show":
      return ["show", "latest"];
    case "values":
      return ["values", "value.metrics.acc"];
    case "best":
      return ["best", "value.metrics.acc"];
    case "compare":
      return ["compare", "latest~1", "latest"];
    case "checkout":
      return [
        "checkout",
        A,
        "--worktree",
        join(tempDir("exprag-perm-wt-"), "wt"),
      ];
    case "diff":
      return ["diff", "latest~1", "latest", "--stat"];
    case "cat":
      return ["cat", "latest", "train.ts"];
    case "note":
      return ["note", "latest", "diverged: lr too high"];
    case "tag":
      return ["tag", "latest", "verdict=diverged"];
    case "tail":
      return ["tail", "latest", "value.metrics.acc", "--follow"];
    case "prune":
      return ["prune", "--status", "finished"];
    case "push":
    case "pull":
      return [name, bareRemote()];
    default:
      return [name];
  }
}

Deno.test("permission table: the documented flags (README and SKILL.md come from the same definitions)", () => {
  const table = Object.fromEntries(
    COMMANDS.map((c) => [c.name, flagVariants(c)]),
  );
  const read = { base: ["--allow-read=.exprag"], variants: [] };
  const withGit = {
    base: ["--allow-read=.exprag", "--allow-run=git"],
    variants: [],
  };
  const notes = {
    base: ["--allow-read=.exprag", "--allow-write=.exprag/notes"],
    variants: [],
  };
  deepStrictEqual(table, {
    runs: read,
    show: read,
    paths: read,
    values: read,
    best: read,
    compare: read,
    git: read,
    checkout: withGit,
    diff: withGit,
    cat: withGit,
    note: notes,
    tag: notes,
    tail: read,
    prune: {
      base: ["--allow-read=.exprag", "--allow-run=git"],
      variants: [{
        option: "--yes",
        flags: [
          "--allow-read=.exprag",
          "--allow-run=git",
          "--allow-write=.exprag",
        ],
      }],
    },
    push: withGit,
    pull: {
      base: [
        "--allow-read=.exprag",
        "--allow-write=.exprag",
        "--allow-run=git",
      ],
      variants: [],
    },
    export: {
      base: ["--allow-read=.exprag"],
      variants: [{
        option: "--output runs.csv",
        flags: [
          "--allow-read=.exprag",
          "--allow-read=runs.csv",
          "--allow-write=runs.csv",
        ],
      }],
    },
    mcp: read,
    skill: {
      base: [],
      variants: [{
        option: "--write .claude/skills/exprag/SKILL.md",
        flags: ["--allow-read=.claude", "--allow-write=.claude/skills/exprag"],
      }],
    },
  });
});

for (const cmd of COMMANDS) {
  Deno.test(`permissions: ${cmd.name} works under exactly its minimal flags; each one is needed`, async () => {
    const repo = fixture();
    const { base } = flagVariants(cmd);
    const ok0 = await cli(repo, base, invocation(cmd.name));
    equal(ok0.code, 0, `${cmd.name} with ${base.join(" ")}: ${ok0.stderr}`);
    // mcp ends at once on an empty stdin, printing nothing (tests/mcp_test.ts)
    ok(ok0.stdout.length > 0 || cmd.name === "mcp");
    for (const flag of base) {
      const fewer = base.filter((f) => f !== flag);
      const o = await cli(repo, fewer, invocation(cmd.name));
      equal(o.code, 1, `${cmd.name} without ${flag}: ${o.stdout}${o.stderr}`);
      const lines = o.stderr.split("\n").filter((l) => l !== "");
      equal(lines.length, 1, o.stderr);
      match(lines[0], /^exprag: /);
      ok(lines[0].includes(`add ${flag}`), `${lines[0]} should name ${flag}`);
      equal(o.stdout, "");
    }
  });
}

Deno.test("permissions: skill --write PATH needs only read on its first directory and write on its directory, and creates parent directories", async () => {
  const cwd = tempDir("exprag-perm-skill-");
  for (
    const path of [
      ".claude/skills/exprag/SKILL.md",
      ".agents/skills/exprag/SKILL.md",
      ".opencode/skills/exprag/SKILL.md",
    ]
  ) {
    const flags = COMMANDS.find((c) => c.name === "skill")!
      .permissions({ dir: ".exprag", options: { write: path } }).map(flagFor);
    const top = path.split("/")[0];
    deepStrictEqual(flags, [
      `--allow-read=${top}`,
      `--allow-write=${top}/skills/exprag`,
    ]);
    const o = await cli(cwd, flags, ["skill", "--write", path]);
    equal(o.code, 0, o.stderr);
    equal(o.stdout, `wrote ${path}\n`);
    const printed = await cli(cwd, [], ["skill"]);
    equal(Deno.readTextFileSync(join(cwd, path)), printed.stdout);
    // overwriting an existing file works too
    equal((await cli(cwd, flags, ["skill", "--write", path])).code, 0);
  }
  for (
    const [flag, error] of [
      [
        "--allow-write=elsewhere",
        "read permission for x not granted; add --allow-read=x",
      ],
      [
        "--allow-read=x",
        "write permission for x not granted; add --allow-write=x",
      ],
    ]
  ) {
    const denied = await cli(cwd, [flag], ["skill", "--write", "x/SKILL.md"]);
    equal(denied.code, 1);
    equal(denied.stderr, `exprag: skill: ${error}\n`);
  }
});

Deno.test("permissions: a custom --dir needs read on that directory, named in the error", async () => {
  const repo = fixture();
  const o = await cli(repo, ["--allow-read=.exprag"], [
    "runs",
    "--dir",
    "other",
  ]);
  equal(o.code, 1);
  equal(
    o.stderr,
    "exprag: runs: read permission for other not granted; add --allow-read=other\n",
  );
});
