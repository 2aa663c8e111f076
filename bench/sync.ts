// Section 6: `exprag push` and `exprag pull` through a bare remote on the
// same disk: the first push and pull of many runs, and a second one with
// nothing to move, against `git ls-remote` of the remote (what every push and
// pull starts with). Cold subprocesses, interleaved rounds, medians.
//
// Usage: deno run -A bench/sync.ts [--smoke] [--runs=300] [--rounds=R] [--keep-data]
import { join } from "node:path";
import { genSmallRuns } from "./data.ts";
import {
  CLI_PATH,
  cliMissing,
  DATA,
  DENO,
  DENO_CHILD_FLAGS,
  emit,
  FLAGS,
  freshDir,
  log,
  measure,
  type Measured,
  median,
  numberFlag,
  pairedRatio,
  rm,
  type Row,
  type Section,
  sh,
  target,
  timedRows,
} from "./lib.ts";

const RUNS = numberFlag("runs", [20, 300]);
const FEW = 10;
const ROUNDS = numberFlag("rounds", [2, 7]);
const base = freshDir(join(DATA, "sync"));
const GIT_ID = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"];

const PUSH = ["--allow-read=.exprag", "--allow-run=git"];
const PULL = [...PUSH, "--allow-write=.exprag"];

/** A repository with one commit and `runs` finished runs in its `.exprag`. */
function repoWithRuns(name: string, runs: number): string {
  const dir = freshDir(join(base, name));
  sh("git", ["init", "-q", dir]);
  sh("git", [...GIT_ID, "-C", dir, "commit", "-q", "--allow-empty", "-m", "0"]);
  genSmallRuns(join(dir, ".exprag"), runs);
  return dir;
}

/** A new bare repository. */
function bare(name: string): string {
  const dir = join(base, name);
  rm(dir);
  sh("git", ["init", "-q", "--bare", dir]);
  return dir;
}

/** `exprag <args>` in `cwd` with `flags`, as an agent calls it. */
function ours(cwd: string, flags: string[], args: string[]): Promise<Measured> {
  return measure(DENO, [
    "run",
    ...DENO_CHILD_FLAGS,
    ...flags,
    CLI_PATH,
    ...args,
  ], {
    cwd,
  });
}

/** Why a call failed, or undefined; `want` is the start of its last line. */
function failed(m: Measured, want: string): string | undefined {
  if (m.code !== 0) return `exit ${m.code}: ${m.stderr.trim().slice(0, 200)}`;
  const last = m.stdout.trimEnd().split("\n").pop() ?? "";
  return last.startsWith(want) ? undefined : `printed "${last}"`;
}

const missing = cliMissing();
const g0 = performance.now();
const many = repoWithRuns("many", RUNS);
const few = repoWithRuns("few", FEW);
const remotes = { many: bare("many.git"), few: bare("few.git") };
/** Clones that pulled everything once: their next pull has nothing to move. */
const pulled: Record<string, string> = {};
if (!missing) {
  for (const k of ["many", "few"] as const) {
    const src = k === "many" ? many : few;
    const m = await ours(src, PUSH, ["push", remotes[k]]);
    if (m.code !== 0) throw new Error(`setup push: ${m.stderr}`);
    pulled[k] = join(base, `${k}-pulled`);
    rm(pulled[k]);
    sh("git", ["clone", "-q", remotes[k], pulled[k]]);
    const p = await ours(pulled[k], PULL, ["pull", "origin"]);
    if (p.code !== 0) throw new Error(`setup pull: ${p.stderr}`);
  }
}
log(
  `sync: ${RUNS} and ${FEW} runs pushed and pulled once in ${
    ((performance.now() - g0) / 1000).toFixed(1)
  } s`,
);

let round = 0;
interface Case {
  name: string;
  role: Row["role"];
  run: () => Promise<Measured>;
  want?: string;
}
const n = RUNS.toLocaleString("en-US");
const cases: Case[] = [
  {
    name: "git ls-remote of the remote",
    role: "reference",
    run: () => measure("git", ["ls-remote", remotes.many], { cwd: many }),
  },
  {
    name: `ours: push, ${n} runs, first (a new remote)`,
    role: "ours",
    run: () => ours(many, PUSH, ["push", bare(`first-${round}.git`)]),
    want: `pushed ${RUNS} runs`,
  },
  {
    name: `ours: push, ${n} runs, nothing to move`,
    role: "ours",
    run: () => ours(many, PUSH, ["push", remotes.many]),
    want: "nothing to push",
  },
  {
    name: `ours: push, ${FEW} runs, nothing to move`,
    role: "ours",
    run: () => ours(few, PUSH, ["push", remotes.few]),
    want: "nothing to push",
  },
  {
    name: `ours: pull, ${n} runs, first (a new clone)`,
    role: "ours",
    run: () => {
      const dir = join(base, `clone-${round}`);
      rm(dir);
      sh("git", ["clone", "-q", remotes.many, dir]);
      return ours(dir, PULL, ["pull", "origin"]);
    },
    want: `pulled ${RUNS} runs`,
  },
  {
    name: `ours: pull, ${n} runs, nothing to move`,
    role: "ours",
    run: () => ours(pulled.many, PULL, ["pull", "origin"]),
    want: "nothing to pull",
  },
  {
    name: `ours: pull, ${FEW} runs, nothing to move`,
    role: "ours",
    run: () => ours(pulled.few, PULL, ["pull", "origin"]),
    want: "nothing to pull",
  },
];

const active = cases.filter((c) => c.role !== "ours" || !missing);
const wall = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const bad = new Map<string, string>();
for (let r = 0; r < ROUNDS; r++) {
  round = r;
  for (let k = 0; k < active.length; k++) {
    const c = active[(k + r) % active.length];
    const m = await c.run();
    const why = c.want === undefined ? undefined : failed(m, c.want);
    if (why) bad.set(c.name, why);
    wall.get(c.name)!.push(m.seconds);
  }
}

const ref = wall.get(cases[0].name)!;
const rows: Row[] = timedRows(cases, {
  wall,
  bad,
  missing,
  cells: (c, w) => ({
    "wall s": median(w),
    "ms per run": c.role === "reference"
      ? null
      : (median(w) * 1000) / (c.name.includes(` ${FEW} runs`) ? FEW : RUNS),
    "× git ls-remote": pairedRatio(w, ref),
  }),
});

/** The same-round ratio of case `a` to case `b`, or null when either failed. */
function ratio(a: number, b: number): number | null {
  const [x, y] = [cases[a].name, cases[b].name];
  if (bad.has(x) || bad.has(y) || !wall.get(x)!.length) return null;
  return pairedRatio(wall.get(x)!, wall.get(y)!);
}

const notes = [
  `${ROUNDS} rounds interleaved, medians of cold subprocesses; ratios are medians of same-round ratios. Flags: push --allow-read=.exprag --allow-run=git, pull also --allow-write=.exprag.`,
  `${n} and ${FEW} finished runs of 7 records each, clean (no code refs), a bare remote on the same disk; "first" pushes to a new bare remote and pulls into a new clone each round (made outside the timing).`,
];
if (missing) notes.push(`ours not measured: ${missing}.`);
for (const [k, v] of bad) notes.push(`${k}: ${v}`);
const section: Section = {
  id: "sync",
  title: "6. push and pull through a git remote",
  columns: ["wall s", "ms per run", "× git ls-remote"],
  rows,
  targets: [
    target(
      `push with nothing to move: ${n} runs ≤ 3× ${FEW} runs`,
      ratio(2, 3),
      "<=",
      3,
    ),
    target(
      `pull with nothing to move: ${n} runs ≤ 3× ${FEW} runs`,
      ratio(5, 6),
      "<=",
      3,
    ),
  ],
  notes,
};
if (!FLAGS["keep-data"]) rm(base);
emit(section);
