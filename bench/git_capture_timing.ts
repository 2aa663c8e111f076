// Times the code-state capture on a generated dirty repository (bench/gen_repo.ts):
// `git status --porcelain` vs captureGit (copy of the real index) vs the
// fresh-index method (read-tree HEAD into a new index, then add -A).
//
//   deno run -A bench/git_capture_timing.ts [--files 20000] [--mb 160] [--rounds 7]
//
// Bench code only: never imported by src/.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { genRepo, REPO_OPTIONS, repoArgs } from "./gen_repo.ts";
import { sh } from "./lib.ts";
import { captureGit } from "../src/git/capture.ts";

function git(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): string {
  return sh("git", args, { cwd, env }).trim();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** One measurement of each method; returns milliseconds. */
export function measureOnce(
  repo: string,
): { status: number; ours: number; fresh: number } {
  const exprag = join(repo, ".exprag");
  let t = performance.now();
  git(repo, ["status", "--porcelain"], { GIT_OPTIONAL_LOCKS: "0" });
  const status = performance.now() - t;

  const runId = crypto.randomUUID();
  t = performance.now();
  const r = captureGit({
    cwd: repo,
    mode: "snapshot",
    runId,
    expragDir: exprag,
    maxFileBytes: 10 * 1024 * 1024,
  });
  const ours = performance.now() - t;
  if (r.git?.toplevel !== repo) {
    throw new Error(`captured the wrong repository: ${r.git?.toplevel}`);
  }
  if (!r.git?.branch?.startsWith("run/")) {
    throw new Error(`no snapshot: ${JSON.stringify(r)}`);
  }
  git(repo, ["update-ref", "-d", `refs/heads/run/${runId}`]);

  const tmp = join(exprag, `fresh-${runId}.idx`);
  Deno.mkdirSync(exprag, { recursive: true });
  t = performance.now();
  const env = { GIT_INDEX_FILE: tmp };
  git(repo, ["read-tree", "HEAD"], env);
  git(repo, ["add", "-A"], env); // .exprag is gitignored in the generated repo
  const tree = git(repo, ["write-tree"], env);
  git(repo, [
    "commit-tree",
    "--no-gpg-sign",
    "-p",
    "HEAD",
    "-m",
    "fresh",
    tree,
  ]);
  const fresh = performance.now() - t;
  Deno.removeSync(tmp);
  return { status, ours, fresh };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { ...REPO_OPTIONS, rounds: { type: "string", default: "7" } },
  });
  const { files, mb, dir } = repoArgs(values);
  const repo = genRepo({
    dir,
    files,
    totalBytes: mb * 1e6,
  });
  // Let the index leave the racy window, then refresh it once (as any normal git use would).
  await new Promise((r) => setTimeout(r, 1100));
  git(repo, ["update-index", "-q", "--refresh"]);
  const rows: { status: number; ours: number; fresh: number }[] = [];
  measureOnce(repo); // warm the page cache
  for (let i = 0; i < Number(values.rounds); i++) rows.push(measureOnce(repo));
  const s = median(rows.map((r) => r.status));
  const o = median(rows.map((r) => r.ours));
  const f = median(rows.map((r) => r.fresh));
  const min = (k: "status" | "ours" | "fresh") =>
    Math.min(...rows.map((r) => r[k])).toFixed(1);
  console.log(
    `${files} files, ${mb} MB, ${rows.length} rounds (median ms; min in brackets)`,
  );
  console.log(`git status --porcelain: ${s.toFixed(1)} [${min("status")}]`);
  console.log(
    `captureGit (snapshot):  ${o.toFixed(1)} [${min("ours")}]  (${
      (o / s).toFixed(2)
    }× status; target ≤ 3×)`,
  );
  console.log(
    `fresh index + add -A:   ${f.toFixed(1)} [${min("fresh")}]  (${
      (f / o).toFixed(1)
    }× ours; target ≥ 5×)`,
  );
}
