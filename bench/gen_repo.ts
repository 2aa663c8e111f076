// Generates a git repository for benchmarking the code-state capture:
// `files` committed files of about `totalBytes` in all (deterministic content,
// spread over nested directories), then made dirty (some tracked files
// modified, some deleted, some untracked files added).
//
// Bench code only: never imported by src/.
//
//   deno run -A bench/gen_repo.ts [--files 20000] [--mb 160] [--out bench/.data/gen-repo-20000] [--force]
//
// Prints the repository path. Reuses an existing repository with the same
// parameters (a `.gen.json` marker) unless --force.
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { rm, rng, sh } from "./lib.ts";

/** What to generate. */
export interface GenRepoOptions {
  /** Where the repository goes (created; must not exist unless `force`). */
  dir: string;
  /** Number of committed files. */
  files: number;
  /** Total size of the committed files, in bytes (about). */
  totalBytes: number;
  /** Tracked files modified after the commit (default: 0.5% of files, at least 1). */
  modified?: number;
  /** Tracked files deleted after the commit (default: 0.1%, at least 1). */
  deleted?: number;
  /** Untracked files added after the commit (default: 0.5%, at least 1). */
  untracked?: number;
  /** Files per directory (default 100). */
  perDir?: number;
  /** Remove and regenerate an existing repository. */
  force?: boolean;
}

/** Author and committer of the generated (and benchmark) commits. */
export const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: "Bench",
  GIT_AUTHOR_EMAIL: "bench@example.com",
  GIT_COMMITTER_NAME: "Bench",
  GIT_COMMITTER_EMAIL: "bench@example.com",
};

/** `--files` / `--mb` (node:util parseArgs options) of the scripts that generate a repository. */
export const REPO_OPTIONS = {
  files: { type: "string", default: "20000" },
  mb: { type: "string", default: "" },
} as const;

/** The size given by {@linkcode REPO_OPTIONS} (`--mb` defaults to ~8 KB a file) and its default directory. */
export function repoArgs(
  values: { files: string; mb: string },
): { files: number; mb: number; dir: string } {
  const files = Number(values.files);
  return {
    files,
    mb: values.mb ? Number(values.mb) : files * 8 / 1000,
    dir: join(import.meta.dirname!, ".data", `gen-repo-${files}`),
  };
}

const enc = new TextEncoder();

function git(cwd: string, ...args: string[]): void {
  sh("git", args, { cwd, env: GIT_ENV });
}

const WORDS =
  "import export const let function return model loss accuracy epoch batch tensor gradient optimizer learning rate value step train eval data loader config"
    .split(" ");

function content(rand: () => number, bytes: number): Uint8Array {
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    const line = `${WORDS[(rand() * WORDS.length) | 0]}_${
      (rand() * 1e6) | 0
    } = ${WORDS[(rand() * WORDS.length) | 0]}(${(rand() * 1e9) | 0});\n`;
    parts.push(line);
    n += line.length;
  }
  return enc.encode(parts.join("").slice(0, bytes));
}

function filePath(i: number, perDir: number): string {
  const d = Math.floor(i / perDir);
  return join(`d${Math.floor(d / 100)}`, `s${d % 100}`, `f${i}.txt`);
}

/**
 * Generates (or reuses) the benchmark repository.
 *
 * @param o What to generate.
 * @returns The absolute path of the repository.
 */
export function genRepo(o: GenRepoOptions): string {
  const dir = resolve(o.dir);
  const perDir = o.perDir ?? 100;
  const modified = o.modified ?? Math.max(1, Math.round(o.files * 0.005));
  const deleted = o.deleted ?? Math.max(1, Math.round(o.files * 0.001));
  const untracked = o.untracked ?? Math.max(1, Math.round(o.files * 0.005));
  const marker = JSON.stringify({
    files: o.files,
    totalBytes: o.totalBytes,
    modified,
    deleted,
    untracked,
    perDir,
  });
  try {
    if (
      !o.force &&
      Deno.readTextFileSync(join(dir, ".git", "gen.json")) === marker
    ) {
      return dir;
    }
  } catch {
    // not generated yet
  }
  rm(dir);
  return generate(dir, o, perDir, modified, deleted, untracked, marker);
}

function generate(
  dir: string,
  o: GenRepoOptions,
  perDir: number,
  modified: number,
  deleted: number,
  untracked: number,
  marker: string,
): string {
  Deno.mkdirSync(dir, { recursive: true });
  git(dir, "init", "-q", "-b", "main");
  Deno.writeTextFileSync(join(dir, ".gitignore"), ".exprag/\n*.log\n");
  const rand = rng(42);
  const avg = o.totalBytes / o.files;
  for (let i = 0; i < o.files; i++) {
    const p = join(dir, filePath(i, perDir));
    if (i % perDir === 0) Deno.mkdirSync(join(p, ".."), { recursive: true });
    // sizes vary between 0.25× and 1.75× the average
    Deno.writeFileSync(
      p,
      content(rand, Math.max(1, Math.round(avg * (0.25 + 1.5 * rand())))),
    );
  }
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "generated");
  // Make it dirty: modify, delete, add untracked (spread over the tree).
  const step = (n: number, off: number) =>
    Math.max(1, Math.floor(o.files / n)) + off;
  for (let k = 0; k < modified; k++) {
    const i = (k * step(modified, 0)) % o.files;
    Deno.writeFileSync(join(dir, filePath(i, perDir)), content(rand, 200), {
      append: true,
    });
  }
  for (let k = 0; k < deleted; k++) {
    const i = (k * step(deleted, 0) + 7) % o.files;
    try {
      Deno.removeSync(join(dir, filePath(i, perDir)));
    } catch {
      // already modified-then-deleted or gone
    }
  }
  for (let k = 0; k < untracked; k++) {
    const i = (k * step(untracked, 0) + 3) % o.files;
    const p = join(dir, filePath(i, perDir)).replace(/\.txt$/, ".new.txt");
    Deno.writeFileSync(p, content(rand, Math.round(avg)));
  }
  // ignored files (never part of a snapshot)
  Deno.writeFileSync(join(dir, "train.log"), content(rand, 4096));
  Deno.writeTextFileSync(join(dir, ".git", "gen.json"), marker);
  return dir;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      ...REPO_OPTIONS,
      out: { type: "string", default: "" },
      force: { type: "boolean", default: false },
    },
  });
  const { files, mb, dir } = repoArgs(values);
  console.log(
    genRepo({
      dir: values.out || dir,
      files,
      totalBytes: mb * 1e6,
      force: values.force,
    }),
  );
}
