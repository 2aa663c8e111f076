// Time windows state their cutoff: `--since 2w` (an age) or a date says in
// one `exprag: note:` line which instant it stands for; a full timestamp
// needs no note, --json none on stderr.
import { match, ok, strictEqual as equal } from "node:assert/strict";
import { tempDir } from "./_helpers.ts";
import { cli, history, makeExprag, writeDenoRun } from "./_cli_fixtures.ts";

const R = ["--allow-read=.exprag"];
const root = tempDir("exprag-time-note-");
writeDenoRun(makeExprag(root), {
  daysAgo: 1,
  end: "finished",
  tracks: history(2, 0.5, 0.1),
});

function noteLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("exprag: note:"));
}

Deno.test("--since 2w states its cutoff instant in one note line", async () => {
  const before = Date.now() - 14 * 86_400_000;
  const o = await cli(root, R, ["runs", "--since", "2w"]);
  const after = Date.now() - 14 * 86_400_000;
  equal(o.code, 0, o.stderr);
  const lines = noteLines(o.stderr);
  equal(lines.length, 1, o.stderr);
  const m =
    /^exprag: note: --since 2w: since (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/
      .exec(lines[0]);
  ok(m !== null, lines[0]);
  const t = Date.parse(m[1]);
  ok(t >= Math.floor(before / 1000) * 1000 - 1000 && t <= after, m[1]);
  // both bounds in one line, a date as UTC midnight
  const both = await cli(root, R, [
    "best",
    "value.metrics.acc",
    "--since",
    "30d",
    "--until",
    "2099-01-31",
  ]);
  equal(both.code, 0, both.stderr);
  const b = noteLines(both.stderr);
  equal(b.length, 1, both.stderr);
  match(
    b[0],
    /--since 30d: since \S+Z; --until 2099-01-31: until 2099-01-31T00:00:00Z$/,
  );
});

Deno.test("a full timestamp needs no cutoff note, and --json keeps stderr clean", async () => {
  const full = await cli(root, R, ["runs", "--since", "2020-01-01T00:00:00Z"]);
  equal(full.code, 0, full.stderr);
  equal(full.stderr, "");
  const j = await cli(root, R, ["runs", "--since", "2w", "--json"]);
  equal(j.code, 0, j.stderr);
  equal(j.stderr, "");
});
