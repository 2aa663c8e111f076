// Helpers of the adversarial passes (tests/adversarial_*_test.ts): a training
// run under the documented flags in a real repository, byte-for-byte
// manifests of worktrees, and the git state a run must leave alone.
import { join } from "node:path";
import { CLI_URL, denoRunArgs, GIT_ENV, run, tempDir } from "./_helpers.ts";

/** The README's flags for a training script with the full record. */
export const DOCUMENTED = [
  "--allow-write=.exprag",
  "--allow-read=.",
  "--allow-run=git",
];
/** The README's flags for `checkout` and `diff`. */
export const CHECKOUT_FLAGS = ["--allow-read=.exprag", "--allow-run=git"];

const dec = new TextDecoder();
const TRACKER = new URL("../src/tracker/experiment.ts", import.meta.url).href;

/** Runs bash in `cwd` (as the tests' git identity); throws on failure. */
export function sh(
  cwd: string,
  script: string,
  env: Record<string, string> = {},
): string {
  const o = new Deno.Command("bash", {
    args: ["-c", script],
    cwd,
    env: { ...GIT_ENV, ...env },
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!o.success) throw new Error(`${script}: ${dec.decode(o.stderr)}`);
  return dec.decode(o.stdout);
}

/** A repository with one commit holding `files`, set up further by `script`. */
export function repoWith(
  files: Record<string, string>,
  script = "",
): string {
  const dir = tempDir("exprag-adv-");
  sh(dir, "git init -q -b main");
  for (const [name, text] of Object.entries(files)) {
    Deno.mkdirSync(join(dir, name, ".."), { recursive: true });
    Deno.writeTextFileSync(join(dir, name), text);
  }
  sh(dir, "git add -A && git commit -qm init");
  if (script !== "") sh(dir, script);
  return dir;
}

async function digest(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Every entry under `dir` (not `.git` at the top, no `.exprag`): a symlink as
 * its target, a file as its exec bit and content hash, a nested repository
 * as `repo`.
 */
export async function manifest(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    for (const e of Deno.readDirSync(join(dir, rel))) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.name === ".exprag" || (rel === "" && e.name === ".git")) continue;
      const st = Deno.lstatSync(join(dir, r));
      if (st.isSymlink) out.set(r, `link ${Deno.readLinkSync(join(dir, r))}`);
      else if (st.isDirectory && e.name === ".git") out.set(r, "repo");
      else if (st.isDirectory) await walk(r);
      else if (!st.isFile) out.set(r, "special"); // a FIFO or socket: never read
      else {
        const x = (st.mode! & 0o111) !== 0 ? "x" : "-";
        out.set(r, `${x} ${await digest(Deno.readFileSync(join(dir, r)))}`);
      }
    }
  };
  await walk("");
  return out;
}

/** The entries of `m` that a snapshot holds: tracked or untracked-not-ignored. */
export function snapshotPart(
  top: string,
  m: Map<string, string>,
  env: Record<string, string> = {},
): Map<string, string> {
  const z = (s: string) => s.split("\0").filter((p) => p !== "");
  const want = new Set([
    ...z(sh(top, "git ls-files -z -c", env)),
    ...z(sh(top, "git ls-files -z -o --exclude-standard", env)),
  ]);
  return new Map([...m].filter(([p]) => want.has(p)));
}

/** HEAD, index (with stat data), staged diff, stash and refs other than runs'. */
export function gitMeta(top: string, env: Record<string, string> = {}): string {
  return sh(
    top,
    `git rev-parse -q --verify HEAD; git symbolic-ref -q HEAD; git ls-files -s --debug; git diff --cached --raw; git stash list; git for-each-ref --format='%(refname) %(objectname)' | grep -Ev '^refs/(heads/run|exprag)/' || true`,
    env,
  );
}

/** Differences between two manifests, one line each (empty when equal). */
export function differences(
  want: Map<string, string>,
  got: Map<string, string>,
): string[] {
  const out: string[] = [];
  for (const [p, v] of want) {
    if (got.get(p) !== v) out.push(`${p}: ${v} -> ${got.get(p) ?? "missing"}`);
  }
  for (const [p, v] of got) if (!want.has(p)) out.push(`${p}: extra ${v}`);
  return out;
}

/** What a training run recorded and printed. */
export interface Trained {
  code: number;
  stderr: string;
  id: string;
  git: Record<string, unknown> | null;
  unavailable: Record<string, string>;
}

/**
 * Runs a one-record training script from `cwd` under `flags` (default: the
 * documented ones); `env` replaces the environment when given.
 */
export async function train(
  cwd: string,
  options: { flags?: string[]; env?: Record<string, string> } = {},
): Promise<Trained> {
  const file = join(tempDir("exprag-adv-script-"), "train.ts");
  Deno.writeTextFileSync(
    file,
    `import { Experiment } from ${JSON.stringify(TRACKER)};
const e = new Experiment("adv", {}); e.track({ acc: 1 });
console.log(JSON.stringify({ path: e.path, id: e.runId }));\n`,
  );
  const o = await new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(options.flags ?? DOCUMENTED, file),
    cwd,
    env: options.env,
    clearEnv: options.env !== undefined,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = dec.decode(o.stdout), stderr = dec.decode(o.stderr);
  if (o.code !== 0) {
    return { code: o.code, stderr, id: "", git: null, unavailable: {} };
  }
  const { path, id } = JSON.parse(stdout.trim().split("\n").at(-1)!);
  const start = JSON.parse(Deno.readTextFileSync(path).split("\n")[0]);
  return {
    code: 0,
    stderr,
    id,
    git: start.value.git,
    unavailable: start.value.unavailable ?? {},
  };
}

/** Runs cli.ts from `cwd` under `flags` (default: checkout's). */
export function exprag(
  cwd: string,
  args: string[],
  flags: string[] = CHECKOUT_FLAGS,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(Deno.execPath(), denoRunArgs(flags, CLI_URL, args), { cwd });
}
