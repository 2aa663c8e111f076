// Shared helpers for the tests: temp dirs, real Deno subprocesses, real git repositories.
import { join, resolve } from "node:path";

/** Absolute path of the repository root (where mod.ts lives). */
export const ROOT: string = resolve(import.meta.dirname!, "..");
/** Absolute file URL of mod.ts, for scripts written by tests. */
export const MOD_URL: string = new URL("../mod.ts", import.meta.url).href;
/** Absolute file URL of cli.ts. */
export const CLI_URL: string = new URL("../cli.ts", import.meta.url).href;
/** Absolute file URL of the tracker module, for scripts written by tests. */
export const TRACKER_URL: string = new URL(
  "../src/tracker/experiment.ts",
  import.meta.url,
).href;
/**
 * The first line of a tracker script: imports `Experiment` from the tracker
 * module itself (not mod.ts), keeping such tests independent of the rest of
 * the package.
 */
export const IMPORT_TRACKER = `import { Experiment } from ${
  JSON.stringify(TRACKER_URL)
};\n`;

/** Result of a finished subprocess. */
export interface Output {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

const _decoder = new TextDecoder();

/** Makes a fresh temporary directory (removed by the OS, or by `cleanup`). */
export function tempDir(prefix = "exprag-test-"): string {
  return Deno.realPathSync(Deno.makeTempDirSync({ prefix }));
}

/**
 * Whether a program is installed: `cmd --version` starts and exits 0.
 *
 * @param cmd The program's name, looked up on PATH.
 * @returns Whether it ran and succeeded.
 */
export function hasCommand(cmd: string): boolean {
  try {
    return new Deno.Command(cmd, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** Runs a command to completion and returns its output. */
export async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<Output> {
  const command = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    signal: out.signal,
    stdout: _decoder.decode(out.stdout),
    stderr: _decoder.decode(out.stderr),
  };
}

/** Author and committer of the commits the tests make with {@linkcode git}. */
export const GIT_ENV: Readonly<Record<string, string>> = {
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
};

/** Runs git in a directory; throws on failure. Returns trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  const out = new Deno.Command("git", {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: GIT_ENV,
  }).outputSync();
  if (!out.success) {
    throw new Error(
      `git ${args.join(" ")} failed in ${cwd}: ${_decoder.decode(out.stderr)}`,
    );
  }
  return _decoder.decode(out.stdout).trimEnd();
}

/** git with `input` on its standard input; its trimmed output. */
export async function gitInput(
  dir: string,
  args: string[],
  input: Uint8Array,
): Promise<string> {
  const c = new Deno.Command("git", {
    args,
    cwd: dir,
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = c.stdin.getWriter();
  await w.write(input);
  await w.close();
  const out = await c.output();
  if (out.code !== 0) throw new Error(`git ${args.join(" ")} failed in ${dir}`);
  return _decoder.decode(out.stdout).trim();
}

/** Stages everything in `repo` and commits it as user `t <t@t>`. */
export function commitAll(repo: string, message: string): void {
  git(repo, "add", "-A");
  git(
    repo,
    "-c",
    "user.name=t",
    "-c",
    "user.email=t@t",
    "commit",
    "-q",
    "-m",
    message,
  );
}

/** Creates a git repository (SHA-1 unless told) with one commit holding the given files. */
export function makeRepo(
  files: Record<string, string> = { "a.txt": "a\n" },
  format: "sha1" | "sha256" = "sha1",
): string {
  const dir = tempDir("exprag-repo-");
  git(dir, "init", "-q", "-b", "main", `--object-format=${format}`);
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    Deno.mkdirSync(join(path, ".."), { recursive: true });
    Deno.writeTextFileSync(path, text);
  }
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "initial");
  return dir;
}

let _scriptDir: string | undefined;

/**
 * Writes a Deno script into a scratch directory outside `cwd` (so it never
 * dirties a test repository) and runs it with exactly the given flags
 * (always `--no-prompt --no-config`), from `cwd`.
 */
export function runScript(
  cwd: string,
  code: string,
  flags: string[],
  options: { env?: Record<string, string>; args?: string[] } = {},
): Promise<Output> {
  _scriptDir ??= tempDir("exprag-scripts-");
  const file = join(_scriptDir, `script-${crypto.randomUUID()}.ts`);
  Deno.writeTextFileSync(file, code);
  return run(Deno.execPath(), denoRunArgs(flags, file, options.args), {
    cwd,
    env: options.env,
  });
}

/**
 * The arguments of `deno run` for a script under exactly the given flags
 * (always `--no-prompt --no-config`).
 */
export function denoRunArgs(
  flags: string[],
  script: string,
  args: string[] = [],
): string[] {
  return ["run", "--no-prompt", "--no-config", ...flags, script, ...args];
}

/** Reads a JSONL file into parsed records. */
export function readJsonl(path: string): Record<string, unknown>[] {
  return Deno.readTextFileSync(path).split("\n").filter((l) => l !== "").map((
    l,
  ) => JSON.parse(l));
}

/** Lists the run files in `<dir>/runs`. */
export function runFiles(exprag: string): string[] {
  try {
    return [...Deno.readDirSync(join(exprag, "runs"))].map((e) =>
      join(exprag, "runs", e.name)
    )
      .sort();
  } catch {
    return [];
  }
}

/**
 * Spawns `deno run` of a script (under exactly the given flags, always
 * `--no-prompt --no-config`) from `cwd` and resolves once its stdout
 * printed `marker`; stdout stays piped (cancel it when done).
 */
export async function spawnUntil(
  cwd: string,
  script: string,
  options: { flags: string[]; marker: string },
): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(options.flags, script),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let seen = "";
  while (!seen.includes(options.marker)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the script ended before ${options.marker}`);
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return child;
}

interface GraphDep {
  code?: { specifier: string };
  isDynamic?: boolean;
}

/**
 * The modules `import entry` loads: its `deno info --json` graph without
 * dynamic imports.
 */
export async function staticGraph(entry: string): Promise<string[]> {
  const o = await run(Deno.execPath(), ["info", "--json", entry]);
  if (o.code !== 0) throw new Error(`deno info ${entry}: ${o.stderr}`);
  const info = JSON.parse(o.stdout) as {
    roots: string[];
    modules: { specifier: string; dependencies?: GraphDep[] }[];
  };
  const deps = new Map(info.modules.map((m) => [m.specifier, m.dependencies]));
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of deps.get(s) ?? []) {
      if (!d.isDynamic && d.code) todo.push(d.code.specifier);
    }
  }
  return [...seen];
}
