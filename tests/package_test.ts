// The package as JSR sees it: a small, documented library (every export with
// an example that imports the package and runs under `deno test --doc`),
// links that work on jsr.io, and docs/architecture.md's layer table true to
// the real import graph. (What importing mod.ts loads: mod_graph_test.ts.)
import { deepStrictEqual, ok, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import { CLI_URL, MOD_URL, ROOT, run } from "./_helpers.ts";

/** The library's exports, sorted: adding one is a decision, made here too. */
const EXPORTS = [
  "BestOptions",
  "BestResult",
  "BestRow",
  "EndOptions",
  "EndStatus",
  "ErrorInfo",
  "Experiment",
  "ExperimentOptions",
  "GitState",
  "ListRunsOptions",
  "PathStats",
  "Problem",
  "ReadOptions",
  "RecordedNumber",
  "Reducer",
  "RunEnd",
  "RunEndValue",
  "RunFilter",
  "RunInfo",
  "RunNote",
  "RunState",
  "TrackOptions",
  "ValueRow",
  "ValuesOptions",
  "WhereClause",
  "bestRuns",
  "listRuns",
  "resolveRun",
  "selectValues",
];
// 25 was the aim; the record format's GitState, RunEndValue and ErrorInfo
// and the notes' RunNote are referenced by RunInfo, and deno doc --lint
// requires every type of a public signature to be exported.
const MAX_EXPORTS = 29;

interface DocTag {
  kind: string;
  doc?: string;
}
interface DocSymbol {
  name: string;
  declarations: { jsDoc?: { doc?: string; tags?: DocTag[] } }[];
}

async function docJson(entry: string): Promise<{
  moduleDoc: { doc?: string; tags?: DocTag[] } | undefined;
  symbols: DocSymbol[];
}> {
  const o = await run(Deno.execPath(), ["doc", "--json", entry]);
  equal(o.code, 0, o.stderr);
  const nodes = JSON.parse(o.stdout).nodes as Record<
    string,
    { module_doc?: { doc?: string; tags?: DocTag[] }; symbols: DocSymbol[] }
  >;
  const node = nodes[entry];
  ok(node !== undefined, Object.keys(nodes).join());
  return { moduleDoc: node.module_doc, symbols: node.symbols };
}

/** Every `@example` tag anywhere inside a JSON value (members included). */
function examplesIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const v of value) examplesIn(v, out);
  } else if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o.kind === "example" && typeof o.doc === "string") out.push(o.doc);
    for (const v of Object.values(o)) examplesIn(v, out);
  }
  return out;
}

/** What is wrong with an example, or null: it must run and import the package. */
function exampleProblem(doc: string): string | null {
  const fences = [...doc.matchAll(/^```(.*)$/gm)].map((m) => m[1].trim());
  const opening = fences.filter((_, i) => i % 2 === 0);
  if (opening.length === 0) return "no code block";
  const code = opening.find((f) => f !== "sh");
  if (code === undefined) return null; // shell only (the CLI's command lines)
  if (code !== "ts") return `code block \`${code}\` (want \`ts\`, run)`;
  for (const m of doc.matchAll(/\bfrom\s+"([^"]+)"/g)) {
    const spec = m[1];
    if (!/^(@exprag\/cli(\/cli)?|node:[a-z/_]+)$/.test(spec)) {
      return `imports ${spec} (want @exprag/cli)`;
    }
  }
  return null;
}

Deno.test("mod.ts exports at most 29 symbols: the tracker and the four reading functions with their types", async () => {
  const { symbols } = await docJson(MOD_URL);
  const names = symbols.map((s) => s.name).sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0
  );
  deepStrictEqual(names, [...EXPORTS].sort());
  ok(names.length <= MAX_EXPORTS, `${names.length} exports`);
  const mod = await import(MOD_URL);
  for (const internal of ["inferStatus", "isLocked", "reduceStats", "main"]) {
    ok(!(internal in mod), internal);
  }
});

Deno.test("every export of mod.ts and cli.ts has a summary and an example that imports the package and runs", async () => {
  for (const entry of [MOD_URL, CLI_URL]) {
    const { moduleDoc, symbols } = await docJson(entry);
    const bad: string[] = [];
    for (const doc of examplesIn(moduleDoc)) {
      const p = exampleProblem(doc);
      if (p !== null) bad.push(`module doc: ${p}`);
    }
    for (const s of symbols) {
      const jsDoc = s.declarations[0]?.jsDoc;
      if (!jsDoc?.doc?.trim()) bad.push(`${s.name}: no summary`);
      const own = (jsDoc?.tags ?? []).filter((t) => t.kind === "example");
      if (own.length === 0) bad.push(`${s.name}: no example`);
      for (const doc of examplesIn(s)) {
        const p = exampleProblem(doc);
        if (p !== null) bad.push(`${s.name}: ${p}`);
      }
    }
    deepStrictEqual(bad, [], entry);
  }
});

Deno.test("the test task runs the doc examples of mod.ts, cli.ts and src/", () => {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const task = (config.tasks.test as string).split(/\s+/);
  ok(task.includes("--doc"), config.tasks.test);
  for (const target of ["mod.ts", "cli.ts", "src/", "tests/"]) {
    ok(task.includes(target), `${target} in ${config.tasks.test}`);
  }
});

Deno.test("relative links of README.md and docs/ point to files that are published", () => {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const include = config.publish.include as string[];
  const published = (path: string) =>
    include.some((p) => p.endsWith("/") ? path.startsWith(p) : path === p);
  const docs = [...Deno.readDirSync(join(ROOT, "docs"))]
    .filter((e) => e.name.endsWith(".md")).map((e) => `docs/${e.name}`);
  const bad: string[] = [];
  for (const file of ["README.md", ...docs]) {
    ok(published(file), `${file} is not in publish.include`);
    const text = Deno.readTextFileSync(join(ROOT, file));
    const base = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
    for (const m of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
      const target = m[1];
      if (/^[a-z]+:/.test(target)) continue; // absolute (https:, mailto:)
      const path = join(base, target).replace(/\\/g, "/");
      let exists = true;
      try {
        Deno.statSync(join(ROOT, path));
      } catch {
        exists = false;
      }
      if (!exists || !published(path)) bad.push(`${file}: ${target}`);
    }
  }
  deepStrictEqual(bad, []);
});

// --- docs/architecture.md's layer table against the import graph ---

interface Layers {
  /** Entries (a file, or a folder ending in `/`) with their row. */
  entries: { entry: string; row: number }[];
  /** Allowed upward or sideways imports, `from → to`. */
  exceptions: string[];
}

function readLayers(): Layers {
  const text = Deno.readTextFileSync(join(ROOT, "docs/architecture.md"));
  const table = /<!-- layers:[^>]*-->\s*```text\n([\s\S]*?)```/.exec(text);
  ok(table !== null, "no layer table in docs/architecture.md");
  const entries: Layers["entries"] = [];
  table[1].trim().split("\n").forEach((line, row) => {
    const [, cells] = line.split(/\s{2,}/);
    for (const entry of cells.split(" · ")) entries.push({ entry, row });
  });
  const list = /<!-- exceptions:[^>]*-->\s*\n((?:- [^\n]*\n(?: [^\n]*\n)*)*)/
    .exec(text);
  const exceptions = [...(list?.[1] ?? "").matchAll(/^- `([^`]+)`/gm)]
    .map((m) => m[1]);
  return { entries, exceptions };
}

/** The entry a module belongs to: the file itself or its deepest folder. */
function entryOf(layers: Layers, module: string): Layers["entries"][number] {
  let best: Layers["entries"][number] | undefined;
  for (const e of layers.entries) {
    const hit = e.entry.endsWith("/")
      ? module.startsWith(e.entry)
      : module === e.entry;
    if (hit && (best === undefined || e.entry.length > best.entry.length)) {
      best = e;
    }
  }
  if (best === undefined) {
    throw new Error(`${module} is in no row of docs/architecture.md's layers`);
  }
  return best;
}

/** Local import edges of mod.ts's and cli.ts's graphs (CLI commands included). */
async function importEdges(): Promise<[string, string][]> {
  const root = new URL("../", import.meta.url).href;
  const edges = new Map<string, [string, string]>();
  for (const entry of [MOD_URL, CLI_URL]) {
    const o = await run(Deno.execPath(), ["info", "--json", entry]);
    equal(o.code, 0, o.stderr);
    const info = JSON.parse(o.stdout) as {
      modules: {
        specifier: string;
        dependencies?: {
          code?: { specifier: string };
          type?: { specifier: string };
          isDynamic?: boolean;
        }[];
      }[];
    };
    for (const m of info.modules) {
      if (!m.specifier.startsWith(root)) continue;
      const from = m.specifier.slice(root.length);
      for (const d of m.dependencies ?? []) {
        // mod.ts → cli.ts is the main-module start, not a layer edge
        if (d.isDynamic && from === "mod.ts") continue;
        for (const s of [d.code?.specifier, d.type?.specifier]) {
          if (s === undefined || !s.startsWith(root)) continue;
          const to = s.slice(root.length);
          edges.set(`${from} → ${to}`, [from, to]);
        }
      }
    }
  }
  return [...edges.values()];
}

Deno.test("docs/architecture.md's layers hold: every import goes down, or stays within its entry", async () => {
  const layers = readLayers();
  ok(layers.entries.length > 10, "layer table parsed");
  const wrong: string[] = [];
  const used = new Set<string>();
  for (const [from, to] of await importEdges()) {
    const a = entryOf(layers, from), b = entryOf(layers, to);
    if (a.entry === b.entry || b.row > a.row) continue;
    const edge = `${from} → ${to}`;
    if (layers.exceptions.includes(edge)) used.add(edge);
    else wrong.push(`${edge} (row ${a.row} → row ${b.row})`);
  }
  deepStrictEqual(wrong, [], "imports against the layer table");
  const stale = layers.exceptions.filter((e) => !used.has(e));
  deepStrictEqual(stale, [], "exceptions that no longer exist");
});
