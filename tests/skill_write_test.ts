// skill --write never writes through a symbolic link (the file or any
// directory on the way, as a cloned repository may hold them), and writes
// atomically: real files, real symlinks, the real CLI under its documented flags.
import {
  deepStrictEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "./_helpers.ts";
import { cli } from "./_cli_fixtures.ts";
import { COMMANDS } from "../src/cli/command.ts";
import { flagFor } from "../src/permissions.ts";

const TARGET = ".claude/skills/exprag/SKILL.md";

/** The documented minimal flags of `skill --write TARGET`. */
function flags(path = TARGET): string[] {
  return COMMANDS.find((c) => c.name === "skill")!
    .permissions({ dir: ".exprag", options: { write: path } }).map(flagFor);
}

function refused(o: { code: number; stdout: string; stderr: string }) {
  equal(o.code, 1, o.stdout);
  equal(o.stdout, "");
  const lines = o.stderr.split("\n").filter((l) => l !== "");
  equal(lines.length, 1, o.stderr);
  match(lines[0], /^exprag: refusing to write .*is a symbolic link/);
}

Deno.test("skill --write refuses when SKILL.md is a symlink; the file it points to is untouched", async () => {
  const repo = tempDir("exprag-skill-link-");
  const victim = join(tempDir("exprag-victim-"), "bashrc");
  Deno.writeTextFileSync(victim, "precious\n");
  Deno.mkdirSync(join(repo, ".claude/skills/exprag"), { recursive: true });
  Deno.symlinkSync(victim, join(repo, TARGET));
  refused(await cli(repo, flags(), ["skill", "--write", TARGET]));
  equal(Deno.readTextFileSync(victim), "precious\n");
  ok(Deno.lstatSync(join(repo, TARGET)).isSymlink);
  // a dangling link too (it would create the file it names)
  const dangling = join(tempDir("exprag-victim-"), "new");
  Deno.removeSync(join(repo, TARGET));
  Deno.symlinkSync(dangling, join(repo, TARGET));
  refused(await cli(repo, flags(), ["skill", "--write", TARGET]));
  let created = true;
  try {
    Deno.statSync(dangling);
  } catch {
    created = false;
  }
  equal(created, false);
});

Deno.test("skill --write refuses when a directory on the way is a symlink, existing or to be created below", async () => {
  for (const linked of [".claude", ".claude/skills"]) {
    const repo = tempDir("exprag-skill-dirlink-");
    const elsewhere = tempDir("exprag-victim-dir-");
    Deno.mkdirSync(join(repo, ".claude"), { recursive: true });
    if (linked === ".claude") Deno.removeSync(join(repo, ".claude"));
    Deno.symlinkSync(elsewhere, join(repo, linked));
    // the victim already has the file, or has nothing yet
    const o1 = await cli(repo, flags(), ["skill", "--write", TARGET]);
    refused(o1);
    deepStrictEqual([...Deno.readDirSync(elsewhere)], [], linked);
    Deno.mkdirSync(
      join(elsewhere, linked === ".claude" ? "skills/exprag" : "exprag"),
      {
        recursive: true,
      },
    );
    const file = join(
      elsewhere,
      linked === ".claude" ? "skills/exprag/SKILL.md" : "exprag/SKILL.md",
    );
    Deno.writeTextFileSync(file, "precious\n");
    refused(await cli(repo, flags(), ["skill", "--write", TARGET]));
    equal(Deno.readTextFileSync(file), "precious\n");
    // broader permissions change nothing: the refusal is exprag's own
    refused(
      await cli(repo, ["--allow-read", "--allow-write"], [
        "skill",
        "--write",
        TARGET,
      ]),
    );
    equal(Deno.readTextFileSync(file), "precious\n");
  }
});

Deno.test("skill --write replaces the file atomically: a hard link to it keeps its old contents, no temporary file is left", async () => {
  const repo = tempDir("exprag-skill-atomic-");
  Deno.mkdirSync(join(repo, ".claude/skills/exprag"), { recursive: true });
  const other = join(repo, ".claude/other.md");
  Deno.writeTextFileSync(other, "old\n");
  Deno.linkSync(other, join(repo, TARGET));
  const o = await cli(repo, flags(), ["skill", "--write", TARGET]);
  equal(o.code, 0, o.stderr);
  equal(o.stdout, `wrote ${TARGET}\n`);
  equal(Deno.readTextFileSync(other), "old\n");
  match(Deno.readTextFileSync(join(repo, TARGET)), /^---\nname: exprag\n/);
  deepStrictEqual(
    [...Deno.readDirSync(join(repo, ".claude/skills/exprag"))].map((e) =>
      e.name
    ),
    ["SKILL.md"],
  );
  // a plain name in the current directory, and a path outside it
  const plain = await cli(repo, flags("SKILL.md"), [
    "skill",
    "--write",
    "SKILL.md",
  ]);
  equal(plain.code, 0, plain.stderr);
  deepStrictEqual(flags("SKILL.md"), ["--allow-read=.", "--allow-write=."]);
  const outside = join(tempDir("exprag-skill-out-"), "a/SKILL.md");
  const out = await cli(repo, [
    `--allow-read=${join(outside, "../..")}`,
    `--allow-write=${join(outside, "..")}`,
  ], ["skill", "--write", outside]);
  equal(out.code, 0, out.stderr);
  match(Deno.readTextFileSync(outside), /^---\nname: exprag\n/);
});
