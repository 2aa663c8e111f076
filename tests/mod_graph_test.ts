// The library does not load the CLI: mod.ts's static module graph holds no
// cli.ts and no src/cli/ module, a copy of the library without the CLI's
// files still imports, and mod.ts run as the main module still starts the CLI.
import { match, ok, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import {
  denoRunArgs,
  MOD_URL,
  ROOT,
  run,
  staticGraph,
  tempDir,
} from "./_helpers.ts";
import { EXPRAG_VERSION } from "../src/version.ts";

Deno.test("importing mod.ts loads no CLI module (cli.ts only through a dynamic import)", async () => {
  const mods = await staticGraph(MOD_URL);
  ok(mods.some((m) => m.endsWith("/src/tracker/experiment.ts")), mods.join());
  const cliMods = mods.filter((m) =>
    m.endsWith("/cli.ts") || m.includes("/src/cli/")
  );
  equal(cliMods.length, 0, cliMods.join(", "));
  const all = await run(Deno.execPath(), ["info", "--json", MOD_URL]);
  ok(all.stdout.includes("/cli.ts"), "the dynamic import of cli.ts is there");
});

Deno.test("a training script importing mod.ts loads the tracker only: no query module until a reading function is called", async () => {
  const mods = await staticGraph(MOD_URL);
  const reading = mods.filter((m) => m.includes("/src/query/"));
  equal(reading.length, 0, reading.join(", "));
  // the tracker, git capture and the base modules: nothing of the reading side
  const local = mods.filter((m) => m.startsWith("file:"));
  const other = local.filter((m) =>
    !/\/(mod\.ts|src\/(tracker|git)\/.*|src\/[a-z_]+\.ts)$/.test(m)
  );
  equal(other.length, 0, other.join(", "));
});

Deno.test("a copy of the library without cli.ts and src/cli/ imports and exports no main", async () => {
  const copy = tempDir("exprag-nocli-");
  const cp = await run("cp", [
    "-r",
    join(ROOT, "src"),
    join(ROOT, "mod.ts"),
    copy,
  ]);
  equal(cp.code, 0, cp.stderr);
  Deno.removeSync(join(copy, "src/cli"), { recursive: true });
  const script = join(copy, "use.ts");
  Deno.writeTextFileSync(
    script,
    `import * as lib from "./mod.ts";\nconsole.log(typeof lib.Experiment, "main" in lib);\n`,
  );
  const o = await run(Deno.execPath(), denoRunArgs([], script), { cwd: copy });
  equal(o.code, 0, o.stderr);
  equal(o.stdout, "function false\n");
});

Deno.test("mod.ts as the main module still starts the CLI: --version, -V, skill", async () => {
  const cwd = tempDir("exprag-modmain-");
  for (const flag of ["--version", "-V"]) {
    const o = await run(
      Deno.execPath(),
      denoRunArgs(["--allow-read=.exprag"], MOD_URL, [flag]),
      { cwd },
    );
    equal(o.code, 0, o.stderr);
    equal(o.stdout, `${EXPRAG_VERSION}\n`);
  }
  const s = await run(Deno.execPath(), denoRunArgs([], MOD_URL, ["skill"]), {
    cwd,
  });
  equal(s.code, 0, s.stderr);
  match(s.stdout, /^---\nname: exprag\n/);
});
