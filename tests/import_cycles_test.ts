// The module graphs of the library (mod.ts) and of the CLI (cli.ts) have no
// import cycle: data flows one way (tracker writes; query reads; cli formats).
import { deepStrictEqual, ok } from "node:assert/strict";

interface InfoModule {
  specifier: string;
  dependencies?: {
    code?: { specifier: string };
    type?: { specifier: string };
  }[];
}

/** The local module graph of an entry point, from `deno info --json`. */
async function graphOf(entry: string): Promise<Map<string, string[]>> {
  const root = new URL("../", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: InfoModule[];
  };
  const local = (s: string) => s.startsWith(root.href);
  const name = (s: string) => s.slice(root.href.length);
  const graph = new Map<string, string[]>();
  for (const m of info.modules) {
    if (!local(m.specifier)) continue;
    const deps = new Set<string>();
    for (const d of m.dependencies ?? []) {
      for (const s of [d.code?.specifier, d.type?.specifier]) {
        if (s !== undefined && local(s)) deps.add(name(s));
      }
    }
    graph.set(name(m.specifier), [...deps].sort());
  }
  return graph;
}

/** Every import cycle found by a depth-first search, as `a → b → a`. */
function cyclesOf(graph: Map<string, string[]>): string[] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const s = state.get(next);
      if (s === "open") {
        cycles.push([...stack.slice(stack.indexOf(next)), next].join(" → "));
      } else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) {
    if (!state.has(node)) visit(node);
  }
  return cycles;
}

Deno.test("imports: the cycle finder reports a cycle (so that the graph tests can fail)", () => {
  const g = new Map([["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", [
    "a.ts",
  ]]]);
  deepStrictEqual(cyclesOf(g), ["a.ts → b.ts → c.ts → a.ts"]);
  deepStrictEqual(cyclesOf(new Map([["a.ts", ["b.ts"]], ["b.ts", []]])), []);
});

for (const entry of ["mod.ts", "cli.ts"]) {
  Deno.test(`imports: ${entry}'s module graph has no import cycle`, async () => {
    const graph = await graphOf(entry);
    ok(graph.size > 5, `${entry}: ${graph.size} modules`);
    deepStrictEqual(cyclesOf(graph), []);
  });
}
