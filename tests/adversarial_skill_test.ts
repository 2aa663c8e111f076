// Adversarial pass (issue 9): `skill --write` over a SKILL.md the user
// already has — read-only, or private — with the real CLI under its
// documented minimal flags.
import { match, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "./_helpers.ts";
import { cli, oneLine } from "./_cli_fixtures.ts";

const TARGET = ".claude/skills/exprag/SKILL.md";
const FLAGS = [
  "--allow-read=.claude",
  "--allow-write=.claude/skills/exprag",
];

function existing(mode: number): string {
  const repo = tempDir("exprag-adv-skill-");
  Deno.mkdirSync(join(repo, ".claude/skills/exprag"), { recursive: true });
  Deno.writeTextFileSync(join(repo, TARGET), "my own notes\n");
  Deno.chmodSync(join(repo, TARGET), mode);
  return repo;
}

Deno.test("skill --write leaves a read-only SKILL.md alone: one line naming it, exit 1", async () => {
  const repo = existing(0o444);
  const o = await cli(repo, FLAGS, ["skill", "--write", TARGET]);
  equal(o.code, 1, o.stdout);
  equal(o.stdout, "");
  match(oneLine(o.stderr), /^exprag: refusing to write .*SKILL\.md.*read-only/);
  equal(Deno.readTextFileSync(join(repo, TARGET)), "my own notes\n");
  equal(Deno.statSync(join(repo, TARGET)).mode! & 0o777, 0o444);
  equal(
    [...Deno.readDirSync(join(repo, ".claude/skills/exprag"))].length,
    1,
    "no temporary file left",
  );
});

Deno.test("skill --write replacing a private SKILL.md keeps it private", async () => {
  const repo = existing(0o600);
  const o = await cli(repo, FLAGS, ["skill", "--write", TARGET]);
  equal(o.code, 0, o.stderr);
  match(Deno.readTextFileSync(join(repo, TARGET)), /^---\nname: exprag/);
  equal(Deno.statSync(join(repo, TARGET)).mode! & 0o777, 0o600);
});
