// Hostile values through track() and back through the reader: each is
// recorded losslessly (read back with readRecords and compared with its
// documented encoding) or refused with a TypeError naming the path, and
// writes nothing then. The file stays valid JSONL throughout. Plus a
// property test: seeded random JSON values round-trip exactly.
//
// encode_test.ts checks encodeValue itself; this file checks the whole
// path value → track() → bytes on disk → reader.
import assert from "node:assert/strict";
import { join } from "node:path";
import { listRuns, type Problem } from "../mod.ts";
import { readRecords } from "../src/query/reader.ts";
import { Experiment } from "../src/tracker/experiment.ts";
import { tempDir } from "./_helpers.ts";
import { parseRunFile, Rng, suiteSeed } from "./_faults.ts";
import { type Case, CASES, nest, randomValue } from "./_hostile_values.ts";

/** Reads every track record of the one run in `dir`, in order. */
async function readBack(dir: string): Promise<
  { value: unknown; line: number }[]
> {
  const problems: Problem[] = [];
  const out: { value: unknown; line: number }[] = [];
  for await (
    const r of readRecords({
      dir,
      kinds: ["track"],
      onProblem: (p) => problems.push(p),
    })
  ) {
    out.push({ value: r.record.value, line: r.line });
  }
  assert.deepEqual(problems, [], "the reader reports nothing");
  return out;
}

Deno.test(`hostile values: ${CASES.length} cases, each recorded losslessly or refused with a TypeError naming the path`, async () => {
  assert.ok(CASES.length >= 40);
  const dir = join(tempDir("exprag-hostile-values-"), ".exprag");
  const exp = new Experiment("hostile values", { git: false, dir });
  const accepted: Case[] = [];
  let refused = 0;
  for (const c of CASES) {
    const before = Deno.statSync(exp.path).size;
    if (c.refuse !== undefined) {
      assert.throws(
        () => exp.track(c.value()),
        (e: unknown) => {
          assert.ok(e instanceof TypeError, `${c.name}: a TypeError (${e})`);
          assert.match(e.message, c.refuse!, c.name);
          return true;
        },
        c.name,
      );
      assert.equal(
        Deno.statSync(exp.path).size,
        before,
        `${c.name}: nothing written`,
      );
      refused++;
    } else {
      exp.track(c.value(), { note: c.name });
      accepted.push(c);
    }
  }
  exp.end();
  // the file: valid JSONL, one line per accepted case, nothing torn
  const { records, torn } = parseRunFile(exp.path);
  assert.equal(torn, null);
  assert.equal(records.length, accepted.length + 2);
  // the reader gives each value back as documented
  const read = await readBack(dir);
  assert.equal(read.length, accepted.length);
  for (const [i, c] of accepted.entries()) {
    assert.equal(read[i].line, i + 2);
    if (c.check) c.check(read[i].value);
    else assert.deepStrictEqual(read[i].value, c.expect, c.name);
  }
  const [run] = await listRuns({ dir });
  assert.equal(run.status, "finished");
  assert.equal(run.records, accepted.length);
  console.log(
    `hostile value figures: ${CASES.length} cases, ${accepted.length} recorded losslessly, ${refused} refused with a TypeError`,
  );
});

Deno.test("hostile metadata: refused with a TypeError naming metadata.*, no run file created", () => {
  const dir = join(tempDir("exprag-hostile-meta-"), ".exprag");
  const cyc: Record<string, unknown> = {};
  cyc.self = cyc;
  for (
    const [metadata, re] of [
      [{ hparams: cyc }, /^cannot encode metadata\.hparams\.self: circular/],
      [nest(10_000, (v) => [v]), /^cannot encode metadata\[0\].*deeper than/],
      [{ f: () => 1 }, /^cannot encode metadata\.f: functions/],
    ] as const
  ) {
    assert.throws(
      () => new Experiment("m", { git: false, dir, metadata }),
      (e: unknown) => e instanceof TypeError && re.test(e.message),
    );
  }
  let files: string[] = [];
  try {
    files = [...Deno.readDirSync(join(dir, "runs"))].map((e) => e.name);
  } catch { /* never created */ }
  assert.deepEqual(files, []);
});

// ------------------------------------------------------------ property test

Deno.test("property: random JSON values round-trip through track() and the reader", async () => {
  const seed = suiteSeed(0x5eed_0002);
  const r = new Rng(seed);
  const dir = join(tempDir("exprag-property-"), ".exprag");
  const exp = new Experiment("property", { git: false, dir });
  const expected: unknown[] = [];
  const COUNT = 400;
  for (let i = 0; i < COUNT; i++) {
    const [v, e] = randomValue(r, r.int(0, 6));
    exp.track(v);
    expected.push(e === undefined ? null : e);
  }
  exp.end();
  const read = await readBack(dir);
  assert.equal(read.length, COUNT);
  for (let i = 0; i < COUNT; i++) {
    assert.deepStrictEqual(
      read[i].value,
      expected[i],
      `value ${i} (seed ${seed})`,
    );
  }
  assert.equal(parseRunFile(exp.path).torn, null);
  console.log(
    `property figures: ${COUNT} random values round-tripped (seed ${seed})`,
  );
});
