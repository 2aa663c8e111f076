// differingKeys reads its maps one at a time (a listing of many runs holds
// no map per run): the same keys, in the same order, as its definition
// over all maps at once.
import { deepStrictEqual as eq } from "node:assert/strict";
import { differingKeys } from "../src/query/varying.ts";

/** The definition: keys of all maps in first-seen order, some map's value not the first's. */
function definition(maps: Map<string, string>[]): string[] {
  const keys = new Set(maps.flatMap((m) => [...m.keys()]));
  return [...keys].filter((k) => maps.some((m) => m.get(k) !== maps[0].get(k)));
}

Deno.test("differingKeys over a stream of maps equals its definition (keys missing, extra, reordered)", () => {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let trial = 0; trial < 300; trial++) {
    const maps: Map<string, string>[] = [];
    for (let i = 0, n = 1 + rnd(5); i < n; i++) {
      const m = new Map<string, string>();
      for (let k = 0, w = rnd(5); k < w; k++) m.set(`k${rnd(6)}`, `${rnd(2)}`);
      maps.push(m);
    }
    eq(
      differingKeys(maps),
      definition(maps),
      JSON.stringify(maps.map((m) => [...m])),
    );
    eq(
      differingKeys((function* () {
        yield* maps;
      })()),
      definition(maps),
    );
  }
  eq(differingKeys([]), []);
});
