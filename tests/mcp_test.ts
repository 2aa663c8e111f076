// `exprag mcp`: the stdio MCP server, driven by the official MCP TypeScript
// SDK's client (Client + StdioClientTransport, tests only) against runs the
// real tracker made in a real git repository, and by raw JSON-RPC lines for
// what a client library never sends (malformed JSON, unknown methods, old
// protocol versions). The server is always a real `deno run --no-prompt`
// child with the documented flags or fewer.
import {
  deepStrictEqual as deepEqual,
  match,
  ok,
  rejects,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
// Pinned inline on purpose: test-only clients, kept out of deno.json's imports
// (the package has no runtime dependency).
// deno-lint-ignore no-import-prefix
import { Client } from "npm:@modelcontextprotocol/sdk@1.32.2/client/index.js";
// deno-lint-ignore no-import-prefix
import { StdioClientTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/client/stdio.js";
// deno-lint-ignore no-import-prefix
import { Ajv } from "npm:ajv@8.17.1";
import { COMMANDS } from "../src/cli/command.ts";
import { MCP_EXCLUDED, toolCommands } from "../src/cli/mcp_tools.ts";
import { PROTOCOL_VERSIONS } from "../src/cli/mcp.ts";
import { serveUnderPty } from "./_pty.ts";
import { lines as rpcLines, MAX_MESSAGE_CHARS } from "../src/cli/mcp_rpc.ts";
import {
  CLI_URL,
  denoRunArgs,
  makeRepo,
  MOD_URL,
  runScript,
  spawnUntil,
  tempDir,
} from "./_helpers.ts";
import { cli, writeDenoRun } from "./_cli_fixtures.ts";

const READ = ["--allow-read=.exprag"];
const ALL = [
  "--allow-read=.exprag",
  "--allow-run=git",
  "--allow-write=.exprag/notes",
];
const TRACK = ["--allow-write=.exprag", "--allow-read=.", "--allow-run=git"];

/** A tracker script: one run of `train` with a learning rate. */
function script(lr: number): string {
  return `import { Experiment } from ${JSON.stringify(MOD_URL)};
using exp = new Experiment("train", { metadata: { hparams: { lr: ${lr} } } });
for (let step = 0; step < 4; step++) {
  exp.track({ step, metrics: { loss: ${lr} / (step + 1), acc: 0.5 + step * ${lr} } });
}
`;
}

let fixture: Promise<{ repo: string; ids: string[] }> | undefined;

/**
 * A git repository with two runs made by the tracker from dirty worktrees
 * (so each has a snapshot commit): lr 0.1, then lr 0.2 with train.ts edited.
 */
function repo(): Promise<{ repo: string; ids: string[] }> {
  fixture ??= (async () => {
    const repo = makeRepo({
      "train.ts": "const lr = 0.01;\n",
      ".gitignore": ".exprag/\n",
    });
    for (const lr of [0.1, 0.2]) {
      Deno.writeTextFileSync(join(repo, "train.ts"), `const lr = ${lr};\n`);
      const o = await runScript(repo, script(lr), TRACK);
      equal(o.code, 0, o.stderr);
    }
    const listed = await cli(repo, READ, ["runs", "--json"]);
    const ids = (JSON.parse(listed.stdout) as { id: string }[]).map((r) => r.id)
      .reverse(); // oldest first
    equal(ids.length, 2);
    return { repo, ids };
  })();
  return fixture;
}

/** The notes files of the fixture and their contents. */
function notesOf(cwd: string): Record<string, string> {
  const dir = join(cwd, ".exprag", "notes");
  try {
    return Object.fromEntries(
      [...Deno.readDirSync(dir)].map((
        e,
      ) => [e.name, Deno.readTextFileSync(join(dir, e.name))]),
    );
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
}

/** Connects the SDK's client to `exprag mcp` started with `flags` in `cwd`. */
async function connect(
  cwd: string,
  flags: string[],
  args: string[] = [],
  env?: Record<string, string>,
): Promise<Client> {
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: denoRunArgs(flags, CLI_URL, ["mcp", ...args]),
    cwd,
    env,
    stderr: "pipe",
  });
  const client = new Client({ name: "exprag-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

/** A tool as listed (the fields the tests read). */
interface ListedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown> & { type: string };
  annotations?: Record<string, unknown>;
}

/** The tools the server lists. */
async function listTools(client: Client): Promise<ListedTool[]> {
  return (await client.listTools()).tools as unknown as ListedTool[];
}

interface Structured {
  data?: unknown;
  notes: string[];
  error?: { kind: string; message: string; flag?: string };
  exit_code?: number;
}

/** Calls a tool; returns its structured content, text and error flag. */
async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<Structured & { isError: boolean; text: string }> {
  const r = await client.callTool({ name, arguments: args });
  const content = r.content as { type: string; text: string }[];
  ok(content.length >= 1);
  for (const c of content) equal(c.type, "text");
  const s = r.structuredContent as unknown as Structured;
  if (!r.isError) {
    // the JSON text block is the structured data, for clients without it
    deepEqual(JSON.parse(content[1].text), s.data);
  }
  return { ...s, isError: r.isError === true, text: content[0].text };
}

Deno.test("mcp: every command is a tool or excluded with a reason, so that a new command cannot be forgotten", () => {
  const tools = toolCommands().map((c) => c.name);
  const excluded = Object.keys(MCP_EXCLUDED);
  deepEqual(
    [...tools, ...excluded].sort(),
    COMMANDS.map((c) => c.name).sort(),
  );
  for (const name of excluded) {
    ok(!tools.includes(name), name);
    ok(MCP_EXCLUDED[name].length > 10, `${name}: a reason`);
  }
  // the mcp command's description names them
  const names = `${tools.slice(0, -1).join(", ")} and ${tools.at(-1)}`;
  ok(COMMANDS.find((c) => c.name === "mcp")!.description.includes(names));
  deepEqual(tools, [
    "runs",
    "show",
    "paths",
    "values",
    "best",
    "compare",
    "tail",
    "git",
    "diff",
    "cat",
    "note",
    "tag",
  ]);
});

Deno.test("mcp: initialize negotiates the version; tools/list gives every tool with a valid input schema made from its flags", async () => {
  const { repo: cwd } = await repo();
  const client = await connect(cwd, READ);
  try {
    equal(client.getServerVersion()?.name, "exprag");
    deepEqual(client.getServerCapabilities()?.tools, { listChanged: false });
    ok((client.getInstructions() ?? "").includes("paths"));
    const tools = await listTools(client);
    deepEqual(tools.map((t) => t.name), toolCommands().map((c) => c.name));
    const ajv = new Ajv({ strict: true, strictTypes: false });
    for (const t of tools) {
      const cmd = COMMANDS.find((c) => c.name === t.name)!;
      ok(t.description?.includes(cmd.summary), t.name);
      equal(t.title, `exprag ${t.name}`);
      equal(t.inputSchema.type, "object");
      ajv.compile(t.inputSchema); // throws on an invalid schema
      equal(t.annotations?.readOnlyHint, !cmd.writes, t.name);
      equal(t.annotations?.destructiveHint, false, t.name); // note, tag append
    }
    const props = (name: string) =>
      tools.find((t) => t.name === name)!.inputSchema.properties as Record<
        string,
        Record<string, unknown>
      >;
    const best = props("best");
    equal(best.top.type, "integer");
    equal(best.top.minimum, 1);
    equal(best.top.default, 1);
    equal(best.by.default, "last");
    deepEqual(best.by.enum, ["last", "first", "max", "min", "mean"]);
    equal(best.max.type, "boolean");
    equal(best.group_by.type, "array");
    const where = best.where.anyOf as Record<string, unknown>[];
    deepEqual(where.map((s) => s.type), ["string", "array"]);
    const clause = (where[1].items as { anyOf: Record<string, unknown>[] })
      .anyOf;
    deepEqual(clause.map((s) => s.type), ["string", "array"]);
    equal(clause[1].minItems, 3);
    deepEqual(
      tools.find((t) => t.name === "best")!.inputSchema.required,
      ["path"],
    );
    equal(props("values").path.type, "array");
    equal(props("tail").timeout.maximum, 300);
    deepEqual(
      tools.find((t) => t.name === "compare")!.inputSchema.required,
      ["run_a", "run_b"],
    );
    ok(!("dir" in best), "the exprag directory is the server's");
  } finally {
    await client.close();
  }
});

Deno.test("mcp: a call of every tool answers with the command's --json data (the CLI's own, for the same question)", async () => {
  const { repo: cwd, ids: [a, b] } = await repo();
  const client = await connect(cwd, ALL);
  try {
    const tools = await listTools(client);
    const ajv = new Ajv({ strictTypes: false });
    const valid = (name: string, args: Record<string, unknown>) => {
      const schema = tools.find((t) => t.name === name)!.inputSchema;
      ok(ajv.validate(schema, args), `${name}: ${ajv.errorsText()}`);
    };
    const ask = async (name: string, args: Record<string, unknown>) => {
      valid(name, args);
      const r = await call(client, name, args);
      equal(r.isError, false, `${name}: ${r.text}`);
      equal(r.exit_code, 0);
      return r;
    };
    // runs and best: exactly the CLI's --json
    const runs = await ask("runs", {
      where: ["metadata.hparams.lr > 0.15"],
      columns: "id,status,metadata.hparams.lr",
    });
    const cliRuns = await cli(cwd, READ, [
      "runs",
      "--where",
      "metadata.hparams.lr > 0.15",
      "--columns",
      "id,status,metadata.hparams.lr",
      "--json",
    ]);
    deepEqual(runs.data, JSON.parse(cliRuns.stdout));
    equal((runs.data as { id: string }[])[0].id, b);
    const ids = (d: unknown) => (d as { id: string }[]).map((r) => r.id);
    // one clause as one string, three flat words, or a list of clauses
    for (
      const where of [
        "metadata.hparams.lr > 0.15",
        ["metadata.hparams.lr", ">", "0.15"],
        ["metadata.hparams.lr>0.15", ["status", "=", "finished"]],
      ]
    ) {
      deepEqual(ids((await ask("runs", { where })).data), [b], `${where}`);
    }
    const best = await ask("best", {
      path: "value.metrics.acc",
      by: "max",
      top: 2,
      where: [["metadata.hparams.lr", ">=", "0.1"]],
    });
    const cliBest = await cli(cwd, READ, [
      "best",
      "value.metrics.acc",
      "--by",
      "max",
      "--top",
      "2",
      "--where",
      "metadata.hparams.lr",
      ">=",
      "0.1",
      "--json",
    ]);
    deepEqual(best.data, JSON.parse(cliBest.stdout));
    deepEqual(
      (best.data as { rows: { run: { id: string } }[] }).rows.map((r) =>
        r.run.id
      ),
      [b, a],
    );
    match(best.text, /^exprag best --json .*: 2 row\(s\)/);
    const show = await ask("show", { run: "latest" });
    equal((show.data as { run: { id: string } }).run.id, b);
    const paths = await ask("paths", { numeric: true, contains: "acc" });
    deepEqual(
      (paths.data as { path: string }[]).map((p) => p.path),
      ["value.metrics.acc"],
    );
    const values = await ask("values", {
      path: ["value.metrics.loss"],
      run: a,
      tail: 2,
    });
    equal((values.data as unknown[]).length, 2);
    const compare = await ask("compare", { run_a: a, run_b: b });
    ok(JSON.stringify(compare.data).includes("hparams"));
    const tail = await ask("tail", { run: "latest", path: ["value.step"] });
    const lines = tail.data as { kind: string; values?: unknown }[];
    deepEqual(lines.map((l) => l.kind), [
      "track",
      "track",
      "track",
      "track",
      "status",
    ]);
    const gitRuns = await ask("git", { limit: 1 });
    equal((gitRuns.data as { id: string }[])[0].id, b);
    const diff = await ask("diff", { run_a: a, run_b: b });
    match(
      (diff.data as { diff: string }).diff,
      /-const lr = 0\.1;\n\+const lr = 0\.2;/,
    );
    const cat = await ask("cat", { run: a, path: "train.ts" });
    equal((cat.data as { text: string }).text, "const lr = 0.1;\n");
    const note = await ask("note", {
      run: a,
      text: "-- lr 0.1 is too low",
      author: "claude",
    });
    equal(
      (note.data as { record: { text: string } }).record.text,
      "-- lr 0.1 is too low",
    );
    await ask("tag", { run: a, key_value: "verdict=low" });
    const tagged = await ask("runs", { where: "tags.verdict = low" });
    deepEqual((tagged.data as { id: string }[]).map((r) => r.id), [a]);
    // identical code: a note, and no stray line on stdout
    const same = await ask("diff", { run_a: b, run_b: b, stat: true });
    equal((same.data as { diff: string }).diff, "");
    equal(same.notes.length, 1);
    match(same.notes[0], /^exprag: note: /);
  } finally {
    await client.close();
  }
});

Deno.test("mcp: usage errors, unknown runs and unknown tools are errors the model can read", async () => {
  const { repo: cwd } = await repo();
  const client = await connect(cwd, READ);
  try {
    const zero = await call(client, "best", {
      path: "value.metrics.acc",
      top: 0,
    });
    equal(zero.isError, true);
    equal(zero.error?.kind, "UsageError");
    match(zero.text, /^exprag: --top needs a positive integer, not "0"$/);
    const extra = await call(client, "runs", { bogus: 1 });
    equal(extra.isError, true);
    match(extra.text, /unknown argument "bogus" for runs \(arguments: .*where/);
    const missing = await call(client, "values", {});
    match(missing.text, /values needs path/);
    const badWhere = await call(client, "runs", { where: [["a", "<"]] });
    match(badWhere.text, /where: expected PATH OP VALUE as 3 strings, not 2/);
    const op = await call(client, "runs", { where: "metadata.lr" });
    equal(op.isError, true);
    match(op.text, /--where needs PATH OP VALUE/);
    const flag = await call(client, "best", {
      path: "value.metrics.acc",
      max: "yes",
    });
    match(flag.text, /max: expected true or false/);
    const unknownRun = await call(client, "show", { run: "nope" });
    equal(unknownRun.isError, true);
    equal(unknownRun.error?.kind, "NotFoundError");
    match(unknownRun.text, /^exprag: .*nope/);
    const unknownPath = await call(client, "values", {
      path: ["value.metrics.accc"],
    });
    equal(unknownPath.isError, true);
    match(unknownPath.text, /value\.metrics\.acc/); // names the path it meant
    await rejects(
      client.callTool({ name: "checkout", arguments: { run: "latest" } }),
      (e: { code?: number; message: string }) =>
        e.code === -32602 && /Unknown tool/.test(e.message) &&
        /checkout" is not a tool: it moves/.test(e.message),
    );
    await rejects(
      client.callTool({ name: "prune", arguments: {} }),
      (e: { code?: number; message: string }) =>
        e.code === -32602 &&
        /"prune" is not a tool: it removes/.test(e.message),
    );
    await rejects(
      client.callTool({ name: "nosuch", arguments: {} }),
      (e: { code?: number; message: string }) =>
        e.code === -32602 && /Unknown tool: "nosuch"/.test(e.message),
    );
    // the server is still serving
    const runs = await call(client, "runs", {});
    equal(runs.isError, false);
  } finally {
    await client.close();
  }
});

Deno.test("mcp: a tool whose permission the server lacks returns an error naming the flag; nothing is written", async () => {
  const { repo: cwd } = await repo();
  const before = notesOf(cwd);
  const client = await connect(cwd, READ);
  try {
    for (
      const [name, args] of [
        ["diff", { run_a: "latest" }],
        ["cat", { run: "latest", path: "train.ts" }],
      ] as const
    ) {
      const r = await call(client, name, args);
      equal(r.isError, true, name);
      equal(r.error?.kind, "PermissionError");
      equal(r.error?.flag, "--allow-run=git");
      match(r.text, /run permission for git not granted; add --allow-run=git/);
    }
    for (
      const [name, args] of [
        ["note", { run: "latest", text: "x" }],
        ["tag", { run: "latest", key_value: "k=v" }],
      ] as const
    ) {
      const r = await call(client, name, args);
      equal(r.isError, true, name);
      equal(r.error?.flag, "--allow-write=.exprag/notes");
      match(r.text, /add --allow-write=\.exprag\/notes/);
    }
  } finally {
    await client.close();
  }
  deepEqual(notesOf(cwd), before);
  // every flag, but no git on PATH: git's tools answer as the CLI does (Deno
  // cannot resolve --allow-run=git then), the others answer
  const env = { PATH: tempDir("exprag-no-git-") };
  const noGit = await connect(cwd, ALL, [], env);
  try {
    const cat = await call(noGit, "cat", { run: "latest", path: "train.ts" });
    equal(cat.isError, true);
    const shell = await cli(cwd, ALL, ["cat", "latest", "train.ts"], env);
    equal(shell.code, 1);
    const message = cat.error!.message.split(" (to the")[0];
    ok(shell.stderr.endsWith(`${message}\n`), `${shell.stderr} / ${message}`);
    equal((await call(noGit, "runs", {})).isError, false);
  } finally {
    await noGit.close();
  }
});

Deno.test("mcp: bad lines become notes of the call, a too large answer an error, and tail --follow is bounded", async () => {
  const root = makeRepo();
  const dir = join(root, ".exprag");
  Deno.mkdirSync(join(dir, "runs"), { recursive: true });
  const big = writeDenoRun(dir, {
    name: "big",
    end: "finished",
    tracks: Array.from({ length: 40_000 }, (_, i) => ({
      value: { loss: 1 / (i + 1), pad: "x".repeat(40) },
    })),
  });
  Deno.writeTextFileSync(join(dir, "runs", "torn.jsonl"), "{not json\n");
  // a live run: the tracker waits until killed
  const file = join(tempDir("exprag-mcp-live-"), "live.ts");
  Deno.writeTextFileSync(
    file,
    `import { Experiment } from ${JSON.stringify(MOD_URL)};
const exp = new Experiment("live", { git: false });
exp.track({ loss: 1 });
console.log("ready");
setInterval(() => {}, 1000);
`,
  );
  const live = await spawnUntil(root, file, { flags: TRACK, marker: "ready" });
  const client = await connect(root, READ);
  try {
    const runs = await call(client, "runs", {});
    equal(runs.isError, false);
    ok(
      runs.notes.some((n) => n.includes("torn.jsonl:1: ")),
      runs.notes.join("\n"),
    );
    const strict = await call(client, "runs", { strict: true });
    equal(strict.isError, true);
    match(strict.text, /torn\.jsonl:1: /);
    const huge = await call(client, "values", { path: ["value.pad"] });
    equal(huge.isError, true);
    match(huge.text, /larger than 4 MiB; ask for less/);
    const some = await call(client, "values", {
      path: ["value.loss"],
      run: big,
      tail: 3,
    });
    equal((some.data as unknown[]).length, 3);
    const tooLong = await call(client, "tail", {
      run: "latest",
      follow: true,
      timeout: 301,
    });
    match(tooLong.text, /timeout: at most 300 over MCP, not 301/);
    const followed = await call(client, "tail", {
      run: "latest",
      follow: true,
      timeout: 1,
      every_ms: 100,
    });
    equal(followed.isError, false, followed.text);
    const last = (followed.data as { kind: string; status: string }[]).at(-1)!;
    equal(last.kind, "status");
    equal(last.status, "running");
    ok(followed.notes.some((n) => /still running after 1 s/.test(n)));
    // calls run one at a time, each with its own notes; ping is not held up
    const order: string[] = [];
    const slow = call(client, "tail", {
      run: "latest",
      follow: true,
      timeout: 1,
    }).then((r) => (order.push("tail"), r));
    const pong = client.ping().then(() => order.push("ping"));
    const rest = Promise.all([
      call(client, "runs", {}),
      call(client, "values", { path: ["value.loss"], run: big, tail: 1 }),
    ]);
    await pong;
    const followedAgain = await slow;
    const [listed, one] = await rest;
    equal(order[0], "ping");
    ok(followedAgain.notes.some((n) => /still running/.test(n)));
    ok(!listed.notes.some((n) => /still running/.test(n)));
    ok(listed.notes.some((n) => n.includes("torn.jsonl")));
    ok(!one.notes.some((n) => /still running/.test(n)));
    equal((one.data as unknown[]).length, 1);
  } finally {
    await client.close();
    live.kill("SIGKILL");
    await live.stdout.cancel();
    await live.status;
  }
  // a cancelled call waiting behind another gets no response
  const cancelled = await raw(
    root,
    [
      {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: {
          name: "tail",
          arguments: { run: "latest", follow: true, timeout: 1 },
        },
      },
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "runs", arguments: {} },
      },
      {
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: 2, reason: "test" },
      },
      { jsonrpc: "2.0", id: 3, method: "ping" },
    ].map((m) => JSON.stringify(m) + "\n").join(""),
  );
  deepEqual(cancelled.messages.map((m) => m.id), [3, 1]);
  // started elsewhere (as Claude Desktop does), with an absolute --dir:
  // the tools read that directory; git's tools say where to start it
  const elsewhere = await connect(
    tempDir("exprag-mcp-cwd-"),
    [`--allow-read=${dir}`, "--allow-run=git"],
    ["--dir", dir],
  );
  try {
    const runs = await call(elsewhere, "runs", {});
    equal(runs.isError, false, runs.text);
    equal((runs.data as unknown[]).length, 2);
    match(runs.text, /^exprag runs --dir=\/.* --json --: 2 item/);
    const cat = await call(elsewhere, "cat", { run: big, path: "a.txt" });
    equal(cat.isError, true);
    match(cat.text, /not inside a git repository/);
  } finally {
    await elsewhere.close();
  }
  // the server's --strict applies to every tool
  const strict = await connect(root, READ, ["--strict"]);
  try {
    const runs = await call(strict, "runs", {});
    equal(runs.isError, true);
    match(runs.text, /torn\.jsonl:1: /);
  } finally {
    await strict.close();
  }
});

Deno.test("mcp under a terminal without --no-prompt: note, tag, diff and cat without their flags are tool errors naming the flag, never a prompt; Ctrl-D ends the server", async () => {
  const { repo: cwd, ids } = await repo();
  const before = notesOf(cwd);
  const calls: [string, Record<string, unknown>][] = [
    ["note", { run: ids[0], text: "from a terminal" }],
    ["tag", { run: ids[0], key_value: "k=v" }],
    ["diff", { run_a: ids[0] }],
    ["cat", { run: ids[0], path: "train.ts" }],
    ["runs", {}],
  ];
  const lines = [
    JSON.stringify(initialize(PROTOCOL_VERSIONS[0])),
    ...calls.map(([name, args], i) =>
      JSON.stringify({
        jsonrpc: "2.0",
        id: 10 + i,
        method: "tools/call",
        params: { name, arguments: args },
      })
    ),
  ];
  // the complete lines that are answers (the terminal echoes the input too)
  const answers = (text: string) =>
    text.split(/\r?\n/).slice(0, -1).filter((l) =>
      l.startsWith('{"jsonrpc":"2.0","id":')
    ).map((l) => JSON.parse(l)).filter((m) => "result" in m || "error" in m);
  const o = await serveUnderPty(cwd, {
    name: "mcp",
    flags: READ,
    args: ["mcp"],
    lines,
    done: (text) => answers(text).length === calls.length + 1,
  });
  ok(!o.prompted, o.text);
  equal(o.code, 0, o.text);
  const byId = new Map(answers(o.text).map((m) => [m.id, m.result]));
  for (const [i, [name]] of calls.entries()) {
    const r = byId.get(10 + i);
    ok(r !== undefined, `${name}: ${o.text}`);
    equal(r.isError, name !== "runs", name);
    if (name === "runs") continue;
    const flag = name === "note" || name === "tag"
      ? "--allow-write=.exprag/notes"
      : "--allow-run=git";
    equal(r.structuredContent.error.flag, flag, name);
    match(r.content[0].text, new RegExp(`not granted; add ${flag}`));
  }
  deepEqual(notesOf(cwd), before);
});

/** Runs the server on raw lines; returns the parsed stdout lines and stderr. */
async function raw(
  cwd: string,
  input: string,
  entry = CLI_URL,
): Promise<
  { code: number; messages: Record<string, unknown>[]; stderr: string }
> {
  const child = new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(READ, entry, ["mcp"]),
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(input));
  await w.close();
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  ok(text === "" || text.endsWith("\n"));
  // stdout holds only JSON-RPC messages, one per line
  const messages = text.split("\n").filter((l) => l !== "").map((l) =>
    JSON.parse(l)
  );
  for (const m of messages.flat()) equal(m.jsonrpc, "2.0");
  return {
    code: out.code,
    messages,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("mcp raw protocol: ping, unknown methods, malformed JSON, invalid requests, batches, notifications, version negotiation", async () => {
  const { repo: cwd } = await repo();
  const lines = [
    { jsonrpc: "2.0", id: 0, method: "ping" }, // allowed before initialize
    initialize("1999-01-01"),
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { jsonrpc: "2.0", id: "two", method: "ping" },
    { jsonrpc: "2.0", id: 3, method: "resources/list" },
    "{not json",
    { id: 4, method: "ping" },
    { jsonrpc: "2.0", id: 5 },
    [{ jsonrpc: "2.0", id: 6, method: "ping" }, {
      jsonrpc: "2.0",
      method: "notifications/whatever",
    }],
    [],
    { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "nope" } },
    {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 99 },
    },
    { jsonrpc: "2.0", id: 8, result: {} }, // a response: ignored
    "",
    { jsonrpc: "2.0", id: 9, method: "ping" },
  ].map((l) => typeof l === "string" ? l : JSON.stringify(l)).join("\n");
  const r = await raw(cwd, lines + "\n");
  equal(r.code, 0, r.stderr);
  const byId = new Map(
    r.messages.flat().map((m) =>
      [m.id, m] as [unknown, Record<string, unknown>]
    ),
  );
  deepEqual(byId.get(0)?.result, {});
  const init = byId.get(1)?.result as Record<string, unknown>;
  equal(init.protocolVersion, PROTOCOL_VERSIONS[0]); // unknown: the newest
  deepEqual(byId.get("two")?.result, {});
  equal((byId.get(3)?.error as { code: number }).code, -32601);
  equal((byId.get(4)?.error as { code: number }).code, -32600);
  equal((byId.get(5)?.error as { code: number }).code, -32600);
  equal((byId.get(7)?.error as { code: number }).code, -32602);
  deepEqual(byId.get(9)?.result, {});
  ok(!byId.has(8) && !byId.has(99));
  const nulls = r.messages.flat().filter((m) => m.id === null);
  deepEqual(
    nulls.map((m) => (m.error as { code: number }).code).sort(),
    [-32700, -32600].sort(),
  );
  // the batch: one array holding the one response
  const batch = r.messages.find((m) => Array.isArray(m)) as unknown as Record<
    string,
    unknown
  >[];
  deepEqual(batch.map((m) => m.id), [6]);
  equal(r.messages.flat().length, 11);
  match(r.stderr, /malformed message/);
  // the documented entry, jsr:@exprag/cli (mod.ts as the main module)
  const viaMod = await raw(cwd, JSON.stringify(pingRequest()) + "\n", MOD_URL);
  deepEqual(viaMod.messages, [{ jsonrpc: "2.0", id: 0, result: {} }]);
});

Deno.test("mcp raw protocol: a message over the size limit is an error with id null and dropped, the next one answered; an infinite number is named", async () => {
  const { repo: cwd } = await repo();
  const huge = {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: {
      name: "runs",
      arguments: { where: `name = ${"x".repeat(MAX_MESSAGE_CHARS)}` },
    },
  };
  const input = [
    JSON.stringify(huge),
    JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }),
    '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"runs","arguments":{"limit":1e400}}}',
  ].join("\n") + "\n";
  const r = await raw(cwd, input);
  equal(r.code, 0, r.stderr);
  equal(r.messages.length, 3);
  const [dropped, pong, infinite] = r.messages as {
    id: unknown;
    error?: { code: number; message: string };
    result?: { isError?: boolean; content: { text: string }[] };
  }[];
  equal(dropped.id, null);
  equal(dropped.error?.code, -32600);
  match(
    dropped.error!.message,
    /^Invalid request: a message of \d+ characters/,
  );
  deepEqual(pong, { jsonrpc: "2.0", id: 2, result: {} });
  equal(infinite.id, 3);
  equal(infinite.result?.isError, true);
  match(infinite.result!.content[0].text, /limit: .*not Infinity$/);
  match(r.stderr, /dropped a message of \d+ characters/);
});

Deno.test("mcp lines: chunk boundaries inside a line, a CRLF and a UTF-8 character; a line over the limit dropped, not held", async () => {
  const bytes = new TextEncoder().encode(
    "ab\r\n✓é\n" + "y".repeat(25) + "\nlast",
  );
  const chunks = (size: number) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += size) {
          c.enqueue(bytes.slice(i, i + size));
        }
        c.close();
      },
    });
  for (const size of [1, 2, 3, 7, bytes.length]) {
    const got: unknown[] = [];
    for await (const l of rpcLines(chunks(size), 20)) got.push(l);
    deepEqual(got, ["ab", "✓é", { tooLong: 25 }, "last"], `chunks of ${size}`);
  }
});

/** The initialize request of a raw client asking for `version`. */
function initialize(version: string): Record<string, unknown> {
  return {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: version,
      capabilities: {},
      clientInfo: { name: "raw", version: "0" },
    },
  };
}

/** A ping request. */
function pingRequest(): Record<string, unknown> {
  return { jsonrpc: "2.0", id: 0, method: "ping" };
}

Deno.test("mcp raw protocol: an older client gets its version, tools without the fields it lacks, and results as text only", async () => {
  const { repo: cwd } = await repo();
  const lines = [
    initialize("2024-11-05"),
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { jsonrpc: "2.0", id: 2, method: "tools/list" },
    {
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "runs", arguments: { limit: 1 } },
    },
    {
      jsonrpc: "2.0",
      id: 4,
      method: "tools/call",
      params: { name: "cat", arguments: { run: "latest", path: "train.ts" } },
    },
  ].map((l) => JSON.stringify(l)).join("\n");
  const r = await raw(cwd, lines + "\n");
  equal(r.code, 0, r.stderr);
  const [init, list, runs, cat] = r.messages as {
    result: Record<string, unknown>;
  }[];
  equal(init.result.protocolVersion, "2024-11-05");
  const tools = list.result.tools as Record<string, unknown>[];
  ok(tools.length > 5);
  for (const t of tools) ok(!("title" in t) && !("annotations" in t));
  ok(!("structuredContent" in runs.result));
  const content = runs.result.content as { text: string }[];
  equal((JSON.parse(content[1].text) as unknown[]).length, 1);
  equal(cat.result.isError, true); // no --allow-run=git: a tool error, not a prompt
});
