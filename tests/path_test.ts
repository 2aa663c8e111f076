// src/path.ts against node:path's posix functions on random paths, and the
// reason it exists: neither the library nor the CLI's reading commands load
// a node: module statically.
import {
  deepStrictEqual as deepEqual,
  strictEqual as equal,
} from "node:assert/strict";
import { posix as node } from "node:path";
import * as ours from "../src/path.ts";
import { staticGraph } from "./_helpers.ts";

const PIECES = [
  "a",
  "b",
  "..",
  ".",
  "",
  "/",
  "//",
  "c.d",
  " x",
  "é",
  "...",
  "-",
];

/** Deterministic random paths of 0-6 pieces joined by "/" or nothing. */
function randomPaths(count: number, seed: number): string[] {
  let s = seed;
  const next = (n: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let p = "";
    const n = next(7);
    for (let j = 0; j < n; j++) {
      p += (next(3) === 0 ? "" : "/") + PIECES[next(PIECES.length)];
    }
    if (next(2) === 0) p = p.replace(/^\/+/, "");
    out.push(p);
  }
  return out;
}

const EDGES = [
  "",
  "/",
  "//",
  "///",
  "//a",
  "///a",
  "a//b",
  "a/",
  "./",
  "../",
  "/..",
  "a/..",
  ".",
  "..",
  "/a/",
  "a/b/../../..",
];
const PATHS = [...EDGES, ...randomPaths(3000, 11)];

Deno.test("path normalize, dirname, basename and isAbsolute equal node:path posix on edge cases and 3,000 random paths", () => {
  for (const p of PATHS) {
    equal(
      ours.normalize(p),
      node.normalize(p),
      `normalize(${JSON.stringify(p)})`,
    );
    equal(
      ours.posix.normalize(p),
      node.normalize(p),
      `posix.normalize(${JSON.stringify(p)})`,
    );
    equal(ours.dirname(p), node.dirname(p), `dirname(${JSON.stringify(p)})`);
    equal(ours.basename(p), node.basename(p), `basename(${JSON.stringify(p)})`);
    equal(
      ours.posix.basename(p),
      node.basename(p),
      `posix.basename(${JSON.stringify(p)})`,
    );
    equal(
      ours.isAbsolute(p),
      node.isAbsolute(p),
      `isAbsolute(${JSON.stringify(p)})`,
    );
  }
});

Deno.test("path join, resolve and relative equal node:path posix on random pairs and triples", () => {
  const others = randomPaths(PATHS.length, 23);
  const thirds = randomPaths(PATHS.length, 37);
  for (let i = 0; i < PATHS.length; i++) {
    const [a, b, c] = [PATHS[i], others[i], thirds[i]];
    const show = JSON.stringify([a, b, c]);
    equal(ours.join(a, b, c), node.join(a, b, c), `join${show}`);
    equal(ours.posix.join(a, b), node.join(a, b), `posix.join${show}`);
    equal(ours.resolve(a, b, c), node.resolve(a, b, c), `resolve${show}`);
    equal(ours.resolve(a), node.resolve(a), `resolve(${JSON.stringify(a)})`);
    equal(ours.relative(a, b), node.relative(a, b), `relative${show}`);
  }
  equal(ours.join(), node.join());
  equal(ours.resolve(), node.resolve());
  equal(ours.sep, node.sep);
});

/** The node: modules `import entry` loads (dynamic imports left out). */
async function staticNodeModules(entry: string): Promise<string[]> {
  return (await staticGraph(entry)).filter((s) => s.startsWith("node:")).sort();
}

Deno.test("cli.ts, mod.ts and the reading commands load no node: module statically (start-up)", async () => {
  const root = new URL("../", import.meta.url);
  const entries = [
    "cli.ts",
    "mod.ts",
    ...[
      "runs",
      "show",
      "best",
      "values",
      "paths",
      "compare",
      "tail",
    ].map((c) => `src/cli/${c}.ts`),
  ];
  const found: Record<string, string[]> = {};
  for (const e of entries) {
    const mods = await staticNodeModules(new URL(e, root).href);
    if (mods.length > 0) found[e] = mods;
  }
  deepEqual(found, {});
});
