// Deno 2.9.6 binds the named imports `equal`, `deepEqual`, `notEqual` and
// `notDeepEqual` of node:assert/strict to the LOOSE comparisons
// (`equal(1, "1")` passes), unlike Node. Tests import the strict ones under
// those names instead; this keeps it so.
import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "./_helpers.ts";

const LOOSE = ["equal", "deepEqual", "notEqual", "notDeepEqual"];

Deno.test("the named strict imports really are strict here", () => {
  throws(() => equal(1 as unknown, "1"));
  throws(() => deepStrictEqual({ a: undefined }, { a: null }));
});

Deno.test("no test or bench file imports node:assert/strict's loose names", () => {
  const found: string[] = [];
  for (const dir of ["tests", "bench"]) {
    for (const e of Deno.readDirSync(join(ROOT, dir))) {
      if (!e.name.endsWith(".ts")) continue;
      const text = Deno.readTextFileSync(join(ROOT, dir, e.name));
      for (
        const m of text.matchAll(
          /import\s*(?:\w+\s*,\s*)?\{([^}]*)\}\s*from\s*"node:assert\/strict"/g,
        )
      ) {
        for (const part of m[1].split(",")) {
          const name = part.trim();
          if (LOOSE.includes(name)) found.push(`${dir}/${e.name}: ${name}`);
        }
      }
    }
  }
  ok(found.length === 0, `loose imports: ${found.join(", ")}`);
});
