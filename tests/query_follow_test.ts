// RunFollower: reads only appended bytes, keeps a line in progress unread
// until its newline arrives, and reports a torn last line only at finish().
import { deepStrictEqual, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import { RunFollower } from "../src/query/follow.ts";
import type { Problem } from "../src/query/types.ts";
import { tempDir } from "./_helpers.ts";

const ID = "0cc04d43-478c-40ec-a6c2-ba3beab52991";
const rec = (kind: string, step?: number) =>
  JSON.stringify({
    run_id: ID,
    kind,
    value: step === undefined ? {} : { step },
  });

Deno.test("follow: a line in progress is returned once complete, never reported torn; finish() reports a torn end", () => {
  const file = join(tempDir("exprag-follow-"), `${ID}.jsonl`);
  const problems: Problem[] = [];
  const f = new RunFollower(file, { onProblem: (p) => problems.push(p) });
  const whole = rec("track", 1);
  Deno.writeTextFileSync(file, rec("run_start") + "\n" + whole.slice(0, 9));
  deepStrictEqual(f.poll().map((r) => r.line), [1]);
  deepStrictEqual(f.poll(), []); // nothing new
  Deno.writeTextFileSync(file, whole.slice(9) + "\n" + rec("track", 2) + "\n", {
    append: true,
  });
  const got = f.poll();
  deepStrictEqual(
    got.map((r) => [r.line, (r.record.value as { step: number }).step]),
    [
      [2, 1],
      [3, 2],
    ],
  );
  equal(problems.length, 0);
  Deno.writeTextFileSync(file, '{"run_id": "' + ID, { append: true });
  deepStrictEqual(f.poll(), []);
  equal(problems.length, 0);
  deepStrictEqual(f.finish(), []);
  deepStrictEqual(problems.map((p) => [p.line, p.reason]), [
    [4, "torn line at end of file (no newline; crash mid-write?)"],
  ]);
});

Deno.test("follow: the first poll keeps only the last lines asked for, in chunks", () => {
  const file = join(tempDir("exprag-follow-"), `${ID}.jsonl`);
  const lines = [rec("run_start")];
  for (let i = 0; i < 5000; i++) lines.push(rec("track", i));
  Deno.writeTextFileSync(file, lines.join("\n") + "\n");
  const f = new RunFollower(file, { firstLines: 3 });
  deepStrictEqual(f.poll().map((r) => r.line), [4999, 5000, 5001]);
  Deno.writeTextFileSync(file, rec("run_end") + "\n", { append: true });
  deepStrictEqual(f.poll().map((r) => [r.line, r.record.kind]), [[
    5002,
    "run_end",
  ]]);
});
