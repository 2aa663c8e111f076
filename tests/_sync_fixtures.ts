// Shared fixtures of the push/pull tests: a bare remote and three clones
// standing for three machines, the commands' minimal flags, an HTTP server
// that wants credentials.
import { join } from "node:path";
import { strictEqual as equal } from "node:assert/strict";
import { git, makeRepo, tempDir } from "./_helpers.ts";
import { cli } from "./_cli_fixtures.ts";
import { loggingGit } from "./_faults.ts";

/** The minimal flags of `push`. */
export const PUSH = ["--allow-read=.exprag", "--allow-run=git"];
/** The minimal flags of `pull`. */
export const PULL = [
  "--allow-read=.exprag",
  "--allow-write=.exprag",
  "--allow-run=git",
];
/** The flags of the reading commands. */
export const READ = ["--allow-read=.exprag"];

/** A bare remote and three clones of it. */
export interface World {
  remote: string;
  A: string;
  B: string;
  C: string;
}

/**
 * A bare remote holding one commit, and three clones of it.
 *
 * @param remoteName The remote's directory name (e.g. one with spaces).
 * @param format The object format of every repository.
 */
export function world(
  remoteName = "remote.git",
  format: "sha1" | "sha256" = "sha1",
): World {
  const root = tempDir("exprag-sync-");
  const remote = join(root, remoteName);
  git(root, "init", "-q", "--bare", `--object-format=${format}`, remote);
  const seed = makeRepo({ "train.ts": "const lr = 0.1;\n" }, format);
  git(seed, "push", "-q", remote, "main:main");
  git(remote, "symbolic-ref", "HEAD", "refs/heads/main");
  const clone = (name: string) => {
    const dir = join(root, name);
    git(root, "clone", "-q", remote, dir);
    return dir;
  };
  return { remote, A: clone("A"), B: clone("B"), C: clone("C") };
}

/** The last non-empty line of an output. */
export function lastLine(text: string): string {
  const lines = text.split("\n").filter((l) => l !== "");
  return lines[lines.length - 1] ?? "";
}

/** A run's file in a clone's `.exprag`. */
export function runFile(repo: string, id: string): string {
  return join(repo, ".exprag", "runs", `${id}.jsonl`);
}

/** A file's bytes. */
export function bytes(path: string): Uint8Array {
  return Deno.readFileSync(path);
}

/** The remote's refs, names only, sorted. */
export function remoteRefs(remote: string): string[] {
  return git(remote, "for-each-ref", "--format=%(refname)").split("\n")
    .filter((l) => l !== "").sort();
}

/** Runs `f` with an HTTP server that answers every request with 401 (credentials needed). */
export async function withAuthServer(
  f: (url: string) => Promise<void>,
): Promise<void> {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    () =>
      new Response("credentials needed", {
        status: 401,
        headers: { "WWW-Authenticate": 'Basic realm="exprag-test"' },
      }),
  );
  try {
    await f(`http://127.0.0.1:${server.addr.port}/runs.git`);
  } finally {
    ac.abort();
    await server.finished;
  }
}

/**
 * Runs `f` with the working directory in a new repository of that object
 * format (for the git helpers, which run git where the CLI runs).
 */
export async function inRepo(
  format: "sha1" | "sha256",
  f: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = tempDir("exprag-sync-repo-");
  git(dir, "init", "-q", `--object-format=${format}`);
  const cwd = Deno.cwd();
  Deno.chdir(dir);
  try {
    await f(dir);
  } finally {
    Deno.chdir(cwd);
  }
}

/**
 * The git processes a CLI call starts (a logging git first on its PATH),
 * and the last line it printed; the call must exit 0.
 */
export async function countedGit(
  dir: string,
  o: { flags: string[]; args: string[] },
): Promise<{ calls: number; last: string }> {
  const g = loggingGit();
  const out = await cli(dir, o.flags, o.args, g.env);
  equal(out.code, 0, out.stderr);
  const calls = Deno.readTextFileSync(g.log).split("\n")
    .filter((l) => l === "----").length;
  return { calls, last: lastLine(out.stdout) };
}
