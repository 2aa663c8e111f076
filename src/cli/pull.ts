/**
 * `exprag pull REMOTE`: brings the runs, notes and code refs another
 * machine pushed (`exprag push`) into this exprag directory and
 * repository.
 *
 * The remote's `refs/exprag/sync/*` are fetched into the private
 * `refs/exprag/remotes/<remote>/*` (never a branch); then, for each run:
 * absent here → written (a temporary file linked into place: never over a
 * file that appeared meanwhile); the local file a prefix of the remote's
 * (a run that grew) → replaced atomically, unless a live tracker holds its
 * lock; the same bytes → nothing; anything else → a conflict, the local
 * file kept. Notes: the records the local file lacks are appended. Code:
 * only the commit the run's run_start records as its snapshot (the local
 * file's, or in a dry run the remote's) becomes `refs/heads/run/<id>`,
 * created when absent (or the fallback `refs/exprag/runs/<id>` when a
 * branch `run` blocks it); one pointing elsewhere is a conflict; a code ref
 * of a run not here, or of a clean run, is skipped. A second pull moves
 * nothing.
 *
 * Permissions: `--allow-read` and `--allow-write` on the exprag directory,
 * `--allow-run=git`.
 *
 * @module
 */

import { join, resolve } from "../path.ts";
import { createExpragDir } from "../dir.ts";
import { makeDir } from "../make_dir.ts";
import { RefusedError } from "../errors.ts";
import { lstatOrNull } from "../lstat.ts";
import { checkNotesRecord, notesDir } from "../note_record.ts";
import { isValidRunId, runsDir } from "../query/files.ts";
import { readFirstLine } from "../query/lines.ts";
import { isLocked } from "../query/status.ts";
import {
  BRANCH_REF_PREFIX,
  FALLBACK_REF_PREFIX,
  refCommit,
  refCommits,
  storeSnapshotRef,
} from "../git/refs.ts";
import { fetchRefs } from "../git/remote.ts";
import { equalBytes } from "../git/quote.ts";
import { runGit, runGitInput } from "../git/run.ts";
import { type FileEntry, fileEntry, readBlob } from "../git/sync_objects.ts";
import { BlobBatches, blobHash, fileEntries } from "../git/sync_batch.ts";
import type { Context } from "./context.ts";
import { isHexCommit, toplevel } from "./gitsafe.ts";
import { appendMissingNotes } from "./note_writer.ts";
import {
  checkRemote,
  completeLines,
  readOrNull,
  report,
  startsWith,
  SYNC_PREFIX,
  type SyncAction,
  type SyncKind,
  trackingPrefix,
  warnSize,
} from "./sync_common.ts";

const decoder = new TextDecoder();

/** The fetched refs under the tracking prefix: kind, id, commit. */
function fetched(
  tracking: string,
): { kind: SyncKind; id: string; sha: string }[] {
  const r = runGit([
    "for-each-ref",
    "--format=%(objectname) %(refname)",
    tracking,
  ]);
  const out: { kind: SyncKind; id: string; sha: string }[] = [];
  for (const line of r.stdout.split("\n")) {
    const m = /^([0-9a-f]{40,64}) (.+)$/.exec(line);
    if (m === null || !m[2].startsWith(tracking)) continue;
    const [kind, id, ...rest] = m[2].slice(tracking.length).split("/");
    if (
      rest.length === 0 && isValidRunId(id) &&
      (kind === "runs" || kind === "notes" || kind === "code")
    ) out.push({ kind, id, sha: m[1] });
  }
  return out;
}

/** The names of pull's temporary files in runs/ and notes/ (`prune --orphans` removes stale ones). */
export const PULL_TEMP_NAME = /^\.[^/]+\.pull-[0-9a-f]{8}\.tmp$/;

/** A temporary file in `dir` holding `bytes` (a name the reader ignores). */
function tempFile(dir: string, id: string, bytes: Uint8Array): string {
  const tmp = join(dir, `.${id}.pull-${crypto.randomUUID().slice(0, 8)}.tmp`);
  try {
    Deno.writeFileSync(tmp, bytes, { createNew: true, mode: 0o644 });
  } catch (e) {
    // e.g. a full disk: no partial file left behind (never another's file)
    if (!(e instanceof Deno.errors.AlreadyExists)) removeQuietly(tmp);
    throw e;
  }
  return tmp;
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* already gone */ }
}

/** Places `tmp` at `file` only while nothing is there; false when something is. */
function placeNew(tmp: string, file: string): boolean {
  try {
    Deno.linkSync(tmp, file); // fails when file exists: never overwrites
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    // no hard links on this file system: check, then rename
    if (lstatOrNull(file) !== null) return false;
    Deno.renameSync(tmp, file);
    return true;
  } finally {
    removeQuietly(tmp);
  }
}

/** What pullRun and pullNotes are given about one item. */
interface PullItem {
  id: string;
  entry: FileEntry | null;
  dryRun: boolean;
  /** Where the remote's blobs are read from (many per git process). */
  blobs: BlobBatches;
}

async function pullRun(ctx: Context, o: PullItem): Promise<SyncAction> {
  const act = (action: SyncAction["action"], detail: string): SyncAction => ({
    kind: "runs",
    id: o.id,
    action,
    detail,
  });
  const entry = o.entry;
  if (entry === null) {
    return act("conflict", `the remote's ref holds no ${o.id}.jsonl`);
  }
  warnSize(ctx, { what: `run ${o.id} on the remote`, size: entry.size });
  const dir = runsDir(ctx.dir);
  const file = join(dir, `${o.id}.jsonl`);
  for (let attempt = 0; attempt < 3; attempt++) {
    const info = lstatOrNull(file);
    if (info !== null && !info.isFile) {
      return act("conflict", `${file} is not a regular file; kept`);
    }
    if (info !== null) {
      // the usual case: this file holds the remote's copy (hashed here,
      // the blob not read)
      const have = await localHolds(file, entry);
      if (have === "same") return act("up_to_date", "");
      if (have === "longer") {
        return act("up_to_date", "the local copy is longer (exprag push)");
      }
    }
    const theirs = completeLines(await o.blobs.read(entry));
    if (info === null) {
      if (o.dryRun) return act("pulled", `new, ${theirs.length} bytes`);
      makeDir(dir);
      if (placeNew(tempFile(dir, o.id, theirs), file)) {
        return act("pulled", `new, ${theirs.length} bytes`);
      }
      continue; // created meanwhile: compare again
    }
    const mine = readOrNull(file);
    if (mine === null) continue;
    if (equalBytes(mine, theirs)) return act("up_to_date", "");
    if (startsWith(mine, theirs)) {
      return act("up_to_date", "the local copy is longer (exprag push)");
    }
    if (!startsWith(theirs, mine)) {
      return act(
        "conflict",
        `${file} differs from the remote's copy (not a prefix of it); kept`,
      );
    }
    if (isLocked(file) !== false) {
      return act(
        "conflict",
        `${file} is held by a live tracker here; kept (pull again after it ends)`,
      );
    }
    const detail = `grown, ${theirs.length - mine.length} bytes more`;
    if (o.dryRun) return act("pulled", detail);
    const tmp = tempFile(dir, o.id, theirs);
    // the last moment to notice a change: the file still is what was compared
    const now = readOrNull(file);
    if (now === null || !equalBytes(now, mine) || isLocked(file) !== false) {
      removeQuietly(tmp);
      continue;
    }
    Deno.renameSync(tmp, file);
    return act("pulled", detail);
  }
  return act("conflict", `${file} kept changing; kept`);
}

async function pullNotes(ctx: Context, o: PullItem): Promise<SyncAction> {
  const entry = o.entry;
  const act = (action: SyncAction["action"], detail: string): SyncAction => ({
    kind: "notes",
    id: o.id,
    action,
    detail,
  });
  if (entry === null) {
    return act("conflict", `the remote's ref holds no ${o.id}.jsonl`);
  }
  const local = join(notesDir(ctx.dir), `${o.id}.jsonl`);
  if (
    lstatOrNull(local)?.isFile === true &&
    await localHolds(local, entry) === "same"
  ) {
    return act("up_to_date", ""); // every remote line is here already
  }
  const text = decoder.decode(completeLines(await o.blobs.read(entry)));
  const lines = (text === "" ? [] : text.slice(0, -1).split("\n")).filter(
    (l) => {
      try {
        return typeof checkNotesRecord(JSON.parse(l), o.id) !== "string";
      } catch {
        return false;
      }
    },
  );
  const file = join(notesDir(ctx.dir), `${o.id}.jsonl`);
  const info = lstatOrNull(file);
  if (info !== null && !info.isFile) {
    return act("conflict", `${file} is not a regular file; kept`);
  }
  if (o.dryRun) {
    const mine = readOrNull(file);
    const have = new Set(
      mine === null ? [] : decoder.decode(mine).split("\n"),
    );
    const n = lines.filter((l) => !have.has(l)).length;
    return n === 0 ? act("up_to_date", "") : act("pulled", `${n} records`);
  }
  let n: number;
  try {
    n = appendMissingNotes(ctx.dir, { runId: o.id, lines });
  } catch (e) {
    // made a link meanwhile: this file only, the other items go on
    if (!(e instanceof RefusedError)) throw e;
    return act("conflict", `${file} is not a regular file; kept`);
  }
  return n === 0 ? act("up_to_date", "") : act("pulled", `${n} records`);
}

/**
 * Pulls one run or notes file; a local file or directory this user may
 * not read or write is a conflict of that item only (kept; the others are
 * pulled).
 */
async function refusedHere(
  r: { kind: SyncKind; id: string },
  pull: () => Promise<SyncAction>,
): Promise<SyncAction> {
  try {
    return await pull();
  } catch (e) {
    if (!(e instanceof Deno.errors.PermissionDenied)) throw e;
    return {
      kind: r.kind,
      id: r.id,
      action: "conflict",
      detail: `${e.message}; kept`,
    };
  }
}

/**
 * Whether a local file holds exactly the remote's blob (`"same"`), the blob
 * and more (`"longer"`, complete lines only), or neither (`"other"`).
 * Compared by hash: the blob itself is not read.
 */
async function localHolds(
  file: string,
  entry: FileEntry,
): Promise<"same" | "longer" | "other"> {
  const mine = readOrNull(file);
  if (mine === null || mine.length < entry.size) return "other";
  const part = mine.subarray(0, entry.size);
  if (await blobHash(part, entry.blob) !== entry.blob) return "other";
  if (entry.size === 0 || part[entry.size - 1] !== 10) return "other";
  return mine.length === entry.size ? "same" : "longer";
}

/** The first line of a run file here, or null when there is none. */
function localFirstLine(path: string): string | null {
  try {
    using f = Deno.openSync(path, { read: true });
    return readFirstLine(f)?.text ?? null;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** The first line of the run file a fetched runs ref holds, or null. */
function remoteFirstLine(id: string, sha: string | undefined): string | null {
  const entry = sha === undefined ? null : fileEntry(sha, `${id}.jsonl`);
  if (entry === null) return null;
  const text = decoder.decode(readBlob(entry.blob));
  const nl = text.indexOf("\n");
  return nl < 0 ? text : text.slice(0, nl);
}

/**
 * The snapshot commit a run's run_start records (`git.commit` of a dirty
 * run), `"clean"` for a run without one, or null when there is no such
 * run here (nor, in a dry run, on the remote).
 */
function recordedSnapshot(
  ctx: Context,
  o: { id: string; runSha: string | undefined },
): string | null {
  const line = localFirstLine(join(runsDir(ctx.dir), `${o.id}.jsonl`)) ??
    remoteFirstLine(o.id, o.runSha);
  if (line === null) return null;
  try {
    const rec = JSON.parse(line);
    if (rec?.kind !== "run_start" || rec.run_id !== o.id) return null;
    const g = rec.value?.git;
    return g?.dirty === true && isHexCommit(g.commit) ? g.commit : "clean";
  } catch {
    return null;
  }
}

function pullCode(
  ctx: Context,
  o: {
    id: string;
    sha: string;
    dryRun: boolean;
    runSha?: string;
    /** The snapshot refs here when the pull started (`refCommits`). */
    refs: ReadonlyMap<string, string>;
  },
): SyncAction | { id: string; sha: string } {
  const act = (action: SyncAction["action"], detail: string): SyncAction => ({
    kind: "code",
    id: o.id,
    action,
    detail,
  });
  // only the snapshot the run itself records becomes its run/<id> ref
  const recorded = recordedSnapshot(ctx, { id: o.id, runSha: o.runSha });
  if (recorded === null) {
    return act("skipped", `no run ${o.id} here; no ref made`);
  }
  if (recorded === "clean") {
    return act("skipped", `run ${o.id} records no snapshot; no ref made`);
  }
  if (!o.sha.startsWith(recorded)) {
    return act(
      "conflict",
      `the remote's code ref points at ${
        o.sha.slice(0, 12)
      }, run ${o.id} records the snapshot ${
        recorded.slice(0, 12)
      }; no ref made`,
    );
  }
  for (const prefix of [BRANCH_REF_PREFIX, FALLBACK_REF_PREFIX]) {
    const have = o.refs.get(`${prefix}${o.id}`) ?? null;
    if (have === o.sha) return act("up_to_date", "");
    if (have !== null) {
      return act(
        "conflict",
        `${prefix}${o.id} points at ${
          have.slice(0, 12)
        }, the remote's snapshot is ${o.sha.slice(0, 12)}; kept`,
      );
    }
  }
  if (o.dryRun) return act("pulled", `run/${o.id} → ${o.sha.slice(0, 12)}`);
  return { id: o.id, sha: o.sha }; // made with the others (storeCodeRefs)
}

/**
 * Makes the snapshot refs a pull found missing: all in one `git update-ref
 * --stdin` transaction creating their `run/<id>` branches; when it fails
 * (a ref made meanwhile, a blocked branch namespace) each one as the
 * tracker makes it, with its fallback ref.
 *
 * @param wanted The runs and their snapshot commits.
 * @returns The action of each, in order.
 */
async function storeCodeRefs(
  wanted: readonly { id: string; sha: string }[],
): Promise<SyncAction[]> {
  if (wanted.length === 0) return [];
  const out = await runGitInput(
    ["update-ref", "-m", "exprag: snapshots of pulled runs", "--stdin"],
    new TextEncoder().encode(
      wanted.map((w) => `create ${BRANCH_REF_PREFIX}${w.id} ${w.sha}\n`)
        .join(""),
    ),
  );
  if (out.code === 0) {
    return wanted.map((w) => ({
      kind: "code",
      id: w.id,
      action: "pulled",
      detail: `run/${w.id} → ${w.sha.slice(0, 12)}`,
    }));
  }
  return wanted.map(storeCodeRef);
}

/** One snapshot ref made as the tracker makes it (see {@linkcode storeCodeRefs}). */
function storeCodeRef(o: { id: string; sha: string }): SyncAction {
  const act = (action: SyncAction["action"], detail: string): SyncAction => ({
    kind: "code",
    id: o.id,
    action,
    detail,
  });
  const stored = storeSnapshotRef([], { runId: o.id, commit: o.sha });
  if (typeof stored === "string") {
    // another pull made it meanwhile?
    for (const prefix of [BRANCH_REF_PREFIX, FALLBACK_REF_PREFIX]) {
      if (refCommit([], `${prefix}${o.id}`) === o.sha) {
        return act("up_to_date", "");
      }
    }
    return act("conflict", stored);
  }
  return act(
    "pulled",
    `${stored.branch ?? stored.ref} → ${o.sha.slice(0, 12)}`,
  );
}

/**
 * Runs `pull`.
 *
 * @param ctx The invocation.
 * @returns The exit code: 1 when any item conflicted.
 */
export async function run(ctx: Context): Promise<number> {
  const remote = checkRemote(ctx.args[0], "pull");
  const dryRun = ctx.options["dry-run"] === true;
  const prompt = ctx.options.prompt === true;
  toplevel(); // a NotFoundError outside a repository
  const tracking = await trackingPrefix(remote);
  fetchRefs(remote, {
    refspecs: [`+${SYNC_PREFIX}*:${tracking}*`],
    prune: true,
    prompt,
  });
  const actions: SyncAction[] = [];
  // runs first: a run's notes and code arrive after it
  const order: SyncKind[] = ["runs", "notes", "code"];
  const refs = fetched(tracking).sort((a, b) =>
    order.indexOf(a.kind) - order.indexOf(b.kind) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
  // as the tracker does: a new exprag directory holds a `.gitignore` of `*`
  if (!dryRun && refs.length > 0) createExpragDir(resolve(ctx.dir));
  const runShas = new Map(
    refs.filter((r) => r.kind === "runs").map((r) => [r.id, r.sha]),
  );
  const files = refs.filter((r) => r.kind !== "code");
  const found = await fileEntries(
    files.map((r) => ({ commit: r.sha, name: `${r.id}.jsonl` })),
  );
  const entries = new Map(files.map((r, i) => [r, found[i]]));
  // the blobs of files not here yet (a first pull: every run) are read in
  // batches, not by a git process each
  const blobs = new BlobBatches(
    files.flatMap((r) => {
      const e = entries.get(r) ?? null;
      const local = r.kind === "runs"
        ? join(runsDir(ctx.dir), `${r.id}.jsonl`)
        : join(notesDir(ctx.dir), `${r.id}.jsonl`);
      return e !== null && lstatOrNull(local) === null ? [e] : [];
    }),
  );
  const snapshots = refCommits([], [BRANCH_REF_PREFIX, FALLBACK_REF_PREFIX]);
  const code: (SyncAction | { id: string; sha: string })[] = [];
  for (const r of refs) {
    const o = { id: r.id, entry: entries.get(r) ?? null, dryRun, blobs };
    if (r.kind === "runs" || r.kind === "notes") {
      actions.push(
        await refusedHere(
          r,
          () => r.kind === "runs" ? pullRun(ctx, o) : pullNotes(ctx, o),
        ),
      );
    } else {
      const planned = pullCode(ctx, {
        id: r.id,
        dryRun,
        sha: r.sha,
        runSha: runShas.get(r.id),
        refs: snapshots,
      });
      code.push(planned);
    }
  }
  // code refs come last (the order above), each where it was planned
  const toStore = code.filter((c): c is { id: string; sha: string } =>
    !("kind" in c)
  );
  const stored = await storeCodeRefs(toStore);
  let k = 0;
  for (const c of code) actions.push("kind" in c ? c : stored[k++]);
  return report(ctx, { verb: "pulled", remote, dryRun, actions });
}
