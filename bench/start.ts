// Section 2: run start in a dirty repository of N files. Compares
// `git status --porcelain`, our `new Experiment()` (snapshot mode), the
// Python exprag's fresh-index snapshot (read-tree HEAD into a new index, add
// -A, write-tree, commit-tree), and a snapshot from a copy of the real index.
// Every method is spawned from this one Deno process, interleaved per round.
//
// Plus one repository with many untracked files (20,000 files and 5,000
// untracked ones, 40 MB of them): the case where staging must not hash every
// untracked file again at each run start.
//
// Usage: deno run -A bench/start.ts [--smoke] [--sizes=2000,20000,100000]
//        [--untracked=FILES:UNTRACKED (default 20000:5000; none: 0)] [--rounds=R] [--keep-data]
import { join } from "node:path";
import { genRepo, GIT_ENV } from "./gen_repo.ts";
import {
  DATA,
  emit,
  FLAGS,
  loadExperiment,
  log,
  median,
  pairedRatio,
  rm,
  type Row,
  type Section,
  sh,
  SMOKE,
  target,
} from "./lib.ts";

const SIZES = String(FLAGS.sizes ?? (SMOKE ? "300" : "2000,20000"))
  .split(",").map(Number);
/** The many-untracked case: files, untracked files (none when 0). */
const [U_FILES, U_UNTRACKED] = String(
  FLAGS.untracked ?? (SMOKE ? "300:100" : "20000:5000"),
).split(":").map(Number);
/** The repositories measured: the sizes, then the many-untracked one. */
const CASES: { n: number; untracked?: number }[] = [
  ...SIZES.map((n) => ({ n })),
  ...(U_FILES > 0 ? [{ n: U_FILES, untracked: U_UNTRACKED }] : []),
];
const caseKey = (c: { n: number; untracked?: number }) =>
  c.untracked === undefined ? String(c.n) : `${c.n}+${c.untracked}u`;
const ROUNDS_FOR = (n: number) =>
  Number(FLAGS.rounds ?? (SMOKE ? 2 : n >= 100_000 ? 3 : 7));
const TARGET_SIZE = 20_000;

function gitStatus(repo: string): void {
  sh("git", ["status", "--porcelain"], { cwd: repo });
}

function snapshotWithIndex(repo: string, copyReal: boolean): string {
  const idx = join(repo, ".git", `bench-index-${crypto.randomUUID()}`);
  const env = { ...GIT_ENV, GIT_INDEX_FILE: idx };
  try {
    if (copyReal) Deno.copyFileSync(join(repo, ".git", "index"), idx);
    else sh("git", ["read-tree", "HEAD"], { cwd: repo, env });
    sh("git", ["add", "-A"], { cwd: repo, env });
    const tree = sh("git", ["write-tree"], { cwd: repo, env }).trim();
    const commit = sh(
      "git",
      ["commit-tree", tree, "-p", "HEAD", "-m", "exprag snapshot"],
      { cwd: repo, env },
    ).trim();
    sh(
      "git",
      ["update-ref", `refs/heads/bench/${crypto.randomUUID()}`, commit],
      {
        cwd: repo,
      },
    );
    return commit;
  } finally {
    rm(idx);
  }
}

const ours = await loadExperiment();
let oursMissing = ours.missing;

function oursStart(repo: string): number {
  const cwd = Deno.cwd();
  Deno.chdir(repo);
  try {
    return _oursStart(repo);
  } catch (e) {
    // Reported in the row; the peers' numbers still come out.
    oursMissing ??= `new Experiment() failed: ${(e as Error).message}`.slice(
      0,
      300,
    );
    return NaN;
  } finally {
    Deno.chdir(cwd);
  }
}

function _oursStart(repo: string): number {
  const t0 = performance.now();
  const exp = new ours.Experiment!("bench-start", {
    dir: join(repo, ".exprag"),
  });
  const dt = (performance.now() - t0) / 1000;
  exp.end();
  const first = Deno.readTextFileSync(exp.path).split("\n", 1)[0];
  const start = JSON.parse(first);
  const g = start.value?.git;
  if (!g || g.dirty !== true || !String(g.branch ?? "").startsWith("run/")) {
    oursMissing = `new Experiment() did not record a snapshot (git: ${
      JSON.stringify(g)?.slice(0, 120)
    }; unavailable: ${JSON.stringify(start.value?.unavailable ?? {})})`;
  }
  return dt;
}

/**
 * One traced `new Experiment()` (GIT_TRACE2_PERF): where its time goes, per
 * git subcommand, and what is left for Deno (spawns, parsing, writes).
 */
function traceOurs(repo: string, times = 3): string {
  const totals: number[] = [];
  const per = new Map<string, number[]>();
  const deno: number[] = [];
  for (let k = 0; k < times; k++) {
    const trace = join(DATA, `trace2-${crypto.randomUUID()}.txt`);
    Deno.env.set("GIT_TRACE2_PERF", trace);
    let total: number;
    try {
      total = oursStart(repo) * 1000;
    } finally {
      Deno.env.delete("GIT_TRACE2_PERF");
    }
    let text = "";
    try {
      text = Deno.readTextFileSync(trace);
    } catch { /* git wrote nothing */ }
    rm(trace);
    let cmd = "?";
    let inGit = 0;
    const once = new Map<string, number>();
    for (const line of text.split("\n")) {
      const f = line.split("|").map((x) => x.trim());
      if (f.length < 9 || f[1] !== "d0") continue;
      if (f[3] === "start") {
        const argv = f[8].split(/\s+/).slice(1);
        let i = 0;
        while (i < argv.length && argv[i].startsWith("-")) {
          i += argv[i] === "-c" || argv[i] === "-C" ? 2 : 1;
        }
        cmd = argv[i] ?? "?";
      } else if (f[3] === "exit") {
        const ms = Number(f[5]) * 1000;
        once.set(cmd, (once.get(cmd) ?? 0) + ms);
        inGit += ms;
      }
    }
    if (!Number.isFinite(total) || once.size === 0) return "";
    totals.push(total);
    deno.push(total - inGit);
    for (const [c, ms] of once) {
      if (!per.has(c)) per.set(c, []);
      per.get(c)!.push(ms);
    }
  }
  const parts = [...per].map(([c, ms]) => `git ${c} ${median(ms).toFixed(1)}`);
  return `${times} traced new Experiment() (GIT_TRACE2_PERF; medians, tracing adds some overhead): ${
    median(totals).toFixed(1)
  } ms = ${parts.join(" + ")} + ${
    median(deno).toFixed(1)
  } ms in Deno (process spawns, reading the status, copying the index, writing run_start).`;
}

type Method = { name: string; role: Row["role"]; fn: (repo: string) => number };

function timed(f: (repo: string) => void): (repo: string) => number {
  return (repo) => {
    const t0 = performance.now();
    f(repo);
    return (performance.now() - t0) / 1000;
  };
}

const methods: Method[] = [
  { name: "git status --porcelain", role: "reference", fn: timed(gitStatus) },
  {
    name: "fresh-index snapshot (Python exprag)",
    role: "peer",
    fn: timed((r) => snapshotWithIndex(r, false)),
  },
  {
    name: "copy-of-index snapshot (git CLI)",
    role: "peer",
    fn: timed((r) => snapshotWithIndex(r, true)),
  },
];
if (!ours.missing) {
  methods.push({ name: "ours: new Experiment()", role: "ours", fn: oursStart });
}

/** How a generated repository was made dirty. */
interface RepoInfo {
  dir: string;
  files: number;
  bytes: number;
  modified: number;
  deleted: number;
  untracked: number;
}

/**
 * A dirty repository of n files (~8 KB each) from bench/gen_repo.ts, with
 * its index then refreshed the way a repository in use has it: wait until
 * every file is older than the index's 1 s mtime granularity (no racily
 * clean entries), then one `git status`.
 */
function makeRepo(dir: string, n: number, untracked?: number): RepoInfo {
  const info: RepoInfo = {
    dir,
    files: n,
    bytes: n * 8000,
    modified: Math.max(1, Math.round(n * 0.005)),
    deleted: Math.max(1, Math.round(n * 0.001)),
    untracked: untracked ?? Math.max(1, Math.round(n * 0.005)),
  };
  genRepo({
    dir,
    files: n,
    totalBytes: info.bytes,
    modified: info.modified,
    deleted: info.deleted,
    untracked: info.untracked,
    force: true,
  });
  const until = Date.now() + 1100;
  while (Date.now() < until) { /* mtime granularity */ }
  sh("git", ["status", "--porcelain"], { cwd: dir });
  return info;
}

let traceNote = "";
let untrackedTrace = "";
const rows: Row[] = [];
const byKey = new Map<string, number[]>();
const infos: RepoInfo[] = [];
for (const c of CASES) {
  const { n } = c;
  const ck = caseKey(c);
  const dir = join(DATA, `repo-${ck}`);
  const g0 = performance.now();
  const info = makeRepo(dir, n, c.untracked);
  infos.push(info);
  log(
    `start: generated ${n} files (${(info.bytes / 1e6).toFixed(0)} MB)${
      c.untracked === undefined ? "" : ` + ${c.untracked} untracked`
    } in ${((performance.now() - g0) / 1000).toFixed(1)} s`,
  );
  const rounds = ROUNDS_FOR(n);
  // Warm-up: page cache, git's own caches.
  for (const m of methods) m.fn(dir);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < methods.length; k++) {
      const m = methods[(k + r) % methods.length];
      const key = `${ck}|${m.name}`;
      if (!byKey.has(key)) byKey.set(key, []);
      byKey.get(key)!.push(m.fn(dir));
    }
  }
  const ref = byKey.get(`${ck}|${methods[0].name}`)!;
  const oursS = byKey.get(`${ck}|ours: new Experiment()`);
  const label = `${n.toLocaleString("en-US")} files, ${
    (info.bytes / 1e6).toFixed(0)
  } MB${
    c.untracked === undefined
      ? ""
      : ` + ${c.untracked.toLocaleString("en-US")} untracked (${
        (c.untracked * 8000 / 1e6).toFixed(0)
      } MB)`
  }`;
  const listed: { name: string; role: Row["role"] }[] = [...methods];
  if (ours.missing) {
    listed.push({ name: "ours: new Experiment()", role: "ours" });
  }
  for (const m of listed) {
    const s = byKey.get(`${ck}|${m.name}`);
    if (!s || (m.role === "ours" && oursMissing)) {
      rows.push({
        name: `${label}: ${m.name}`,
        role: m.role,
        cells: {},
        missing: oursMissing,
      });
      continue;
    }
    rows.push({
      name: `${label}: ${m.name}`,
      role: m.role,
      cells: {
        "median s": median(s),
        "× git status (time)": pairedRatio(s, ref),
        "ours faster by ×": oursS && !oursMissing && m.role !== "ours"
          ? pairedRatio(s, oursS)
          : null,
      },
    });
  }
  if (!ours.missing && !oursMissing && !SMOKE) {
    if (c.untracked === undefined && n === TARGET_SIZE) {
      traceNote = traceOurs(dir);
    }
    if (c.untracked !== undefined) untrackedTrace = traceOurs(dir);
  }
  if (!FLAGS["keep-data"]) rm(dir);
}

const tsize = SIZES.includes(TARGET_SIZE) ? TARGET_SIZE : Math.max(...SIZES);
const oursT = byKey.get(`${tsize}|ours: new Experiment()`);
const valid = oursT && !oursMissing;
const sizeNote = tsize === TARGET_SIZE
  ? "20k files"
  : `${tsize} files; 20k not measured`;
const uCase = CASES.find((c) => c.untracked !== undefined);
const uKey = uCase === undefined ? null : caseKey(uCase);
const oursU = uKey === null
  ? undefined
  : byKey.get(`${uKey}|ours: new Experiment()`);
const notes = [
  `Rounds per repository: ${
    CASES.map((c) => `${caseKey(c)}: ${ROUNDS_FOR(c.n)}`).join(", ")
  }; methods interleaved, order rotated each round; medians; ratios are medians of same-round ratios.`,
  `Repositories from bench/gen_repo.ts; dirty state: ${
    infos.map((i) =>
      `${i.files} files → ${i.modified} edited, ${i.deleted} deleted, ${i.untracked} untracked`
    ).join("; ")
  }, plus an ignored log file.`,
  "Every method is spawned from the same Deno process (process spawns included); snapshot methods also create the run/… ref.",
];
if (traceNote) {
  notes.push(
    `${traceNote} \`git status --porcelain\` alone, same repository: ${
      (median(byKey.get(`${TARGET_SIZE}|${methods[0].name}`)!) * 1000).toFixed(
        1,
      )
    } ms (spawned from Deno).`,
  );
}
if (untrackedTrace) {
  notes.push(`Many untracked files: ${untrackedTrace}`);
}
notes.push(
  "ours keeps its snapshot's temporary index in the exprag directory and starts the next snapshot from it while the real index is the same file (src/git/index_cache.ts): unchanged untracked files are neither named to git nor hashed again; the warm-up and the first round make it.",
);
if (oursMissing) notes.push(`ours not measured: ${oursMissing}.`);

const section: Section = {
  id: "start",
  title: "2. Run start in a dirty repository",
  columns: ["median s", "× git status (time)", "ours faster by ×"],
  rows,
  targets: [
    target(
      `new Experiment() ≤ 3× git status (${sizeNote})`,
      valid
        ? pairedRatio(oursT, byKey.get(`${tsize}|${methods[0].name}`)!)
        : null,
      "<=",
      3,
    ),
    target(
      `new Experiment() ≤ 3× git status (${
        uCase === undefined
          ? "many untracked files not measured"
          : `${uCase.untracked} untracked files`
      })`,
      oursU && !oursMissing && uKey !== null
        ? pairedRatio(oursU, byKey.get(`${uKey}|${methods[0].name}`)!)
        : null,
      "<=",
      3,
    ),
    target(
      `new Experiment() ≥ 5× faster than fresh-index (${sizeNote})`,
      valid
        ? pairedRatio(byKey.get(`${tsize}|${methods[1].name}`)!, oursT)
        : null,
      ">=",
      5,
    ),
  ],
  notes,
};
emit(section);
