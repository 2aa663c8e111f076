/**
 * `exprag push REMOTE [RUN...]`: sends run files, notes files and the
 * snapshot commits of dirty runs to a git remote, under
 * `refs/exprag/sync/` (see sync_common.ts), never touching the user's
 * branches, index or files.
 *
 * Safe by construction: one ref per run; a ref moves only by a plain
 * (never forced) fast-forward, so git's ref update is a compare-and-swap:
 * a run file is pushed only when it extends the remote's copy (the remote's
 * bytes are a prefix of the local ones), notes files as the union of both
 * sides' lines; a push rejected because someone else moved the ref is
 * re-planned from the remote's new state, a bounded number of times.
 *
 * Permissions: `--allow-read` on the exprag directory and
 * `--allow-run=git`.
 *
 * @module
 */

import { basename, join } from "../path.ts";
import { lstatOrNull } from "../lstat.ts";
import { notesDir } from "../note_record.ts";
import { isValidRunId, listRunFiles } from "../query/files.ts";
import { permissionError } from "../query/reader.ts";
import type { RunInfo } from "../query/mod.ts";
import { refCommits } from "../git/refs.ts";
import { runGit, runGitInput } from "../git/run.ts";
import { fetchRefs, listRemote, pushRefs } from "../git/remote.ts";
import type { FileEntry } from "../git/sync_objects.ts";
import { FileCommitWriter } from "../git/sync_writer.ts";
import {
  BlobBatches,
  blobHash,
  existingCommits,
  fileEntries,
} from "../git/sync_batch.ts";
import { BRANCH_REF_PREFIX, FALLBACK_REF_PREFIX } from "../git/refs.ts";
import { catalog, readOptions, resolveRef } from "./common.ts";
import type { Context } from "./context.ts";
import { isHexCommit, toplevel } from "./gitsafe.ts";
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

/** How many times a push rejected by a concurrent pusher is re-planned. */
const ATTEMPTS = 6;

/** One thing to push. */
interface Item {
  kind: SyncKind;
  id: string;
  /** The remote ref. */
  ref: string;
  /** runs, notes: the file (read when planned: one file in memory at a time). */
  file?: string;
  /** code: the snapshot commit. */
  sha?: string;
}

/** A planned ref update, or the item's outcome when there is nothing to push. */
type Plan =
  // sha: a commit, or a FileCommitWriter handle until the import ends
  | { update: { sha: string | number; ref: string }; detail: string }
  | { action: SyncAction };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function stem(file: string): string | null {
  const id = basename(file).replace(/\.jsonl$/, "");
  return isValidRunId(id) ? id : null;
}

/** The notes files `<notes>/<id>.jsonl` (regular files; links, to be reported). */
function notesFiles(dir: string): string[] {
  const nd = notesDir(dir);
  try {
    return [...Deno.readDirSync(nd)]
      .filter((e) => (e.isFile || e.isSymlink) && e.name.endsWith(".jsonl"))
      .map((e) => join(nd, e.name)).sort();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** A dirty run's snapshot commit, when a local ref still holds it. */
function snapshotOf(
  run: RunInfo,
  refs: ReadonlyMap<string, string>,
): string | null {
  const g = run.git;
  if (g?.dirty !== true || !isHexCommit(g.commit)) return null;
  for (const prefix of [BRANCH_REF_PREFIX, FALLBACK_REF_PREFIX]) {
    const sha = refs.get(`${prefix}${run.id}`) ?? null;
    if (sha !== null && sha.startsWith(g.commit)) return sha;
  }
  return null;
}

/** What to push: every run, or the runs named. */
async function items(
  ctx: Context,
  refs: readonly string[],
): Promise<{ items: Item[]; skipped: SyncAction[] }> {
  let runs: readonly RunInfo[];
  let files: string[];
  let notes: string[];
  if (refs.length > 0) {
    const picked = new Map<string, RunInfo>();
    for (const r of refs) {
      const run = await resolveRef(ctx, r);
      picked.set(run.file, run);
    }
    runs = [...picked.values()];
    files = runs.map((r) => r.file);
    notes = runs.map((r) => join(notesDir(ctx.dir), `${r.id}.jsonl`));
  } else {
    runs = catalog(ctx).all();
    files = listRunFiles(readOptions(ctx));
    notes = notesFiles(ctx.dir);
  }
  const out: Item[] = [];
  const skipped: SyncAction[] = [];
  if (lstatOrNull(notesDir(ctx.dir))?.isSymlink === true) {
    // as the reader: a linked notes directory is never read
    skipped.push({
      kind: "notes",
      id: notesDir(ctx.dir),
      action: "skipped",
      detail:
        "the notes directory is a symbolic link (links are never followed)",
    });
    notes = [];
  }
  for (const [kind, list] of [["runs", files], ["notes", notes]] as const) {
    for (const file of list) {
      const id = stem(file);
      if (id === null) {
        skipped.push({
          kind,
          id: basename(file),
          action: "skipped",
          detail: "its name is not <run id>.jsonl",
        });
        continue;
      }
      const info = lstatOrNull(file);
      if (info === null) continue; // a run without notes
      if (!info.isFile) {
        // a link could name any file the process may read
        skipped.push({
          kind,
          id,
          action: "skipped",
          detail: "not a regular file (links are never followed)",
        });
        continue;
      }
      if (kind === "runs") warnSize(ctx, { what: file, size: info.size });
      out.push({ kind, id, ref: `${SYNC_PREFIX}${kind}/${id}`, file });
    }
  }
  const snapshots = refCommits([], [BRANCH_REF_PREFIX, FALLBACK_REF_PREFIX]);
  for (const run of runs) {
    if (!isValidRunId(run.id) || run.git?.dirty !== true) continue;
    const sha = snapshotOf(run, snapshots);
    if (sha === null) {
      skipped.push({
        kind: "code",
        id: run.id,
        action: "skipped",
        detail:
          "a dirty run without a local snapshot ref (run/<id> or refs/exprag/runs/<id>)",
      });
      continue;
    }
    out.push({
      kind: "code",
      id: run.id,
      ref: `${SYNC_PREFIX}code/${run.id}`,
      sha,
    });
  }
  return { items: out, skipped };
}

function lines(bytes: Uint8Array): string[] {
  const text = decoder.decode(completeLines(bytes));
  return text === "" ? [] : text.slice(0, -1).split("\n");
}

/**
 * A run or notes file's bytes; null when it is gone; why, when it cannot
 * be read (this file is skipped, the others pushed).
 */
function readItem(file: string): Uint8Array | null | string {
  try {
    return readOrNull(file);
  } catch (e) {
    const err = permissionError(e, file);
    return `cannot read: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The commit of an item's new bytes: a writer's handle ("" in a dry run). */
async function commitOf(
  item: Item,
  o: {
    bytes: Uint8Array;
    parent: string | null;
    writer: FileCommitWriter | null;
  },
): Promise<string | number> {
  if (o.writer === null) return ""; // a dry run: never made, never pushed
  return await o.writer.add({
    name: `${item.id}.jsonl`,
    bytes: o.bytes,
    parent: o.parent,
    message: `exprag ${item.kind === "runs" ? "run" : "notes"} ${item.id}\n`,
  });
}

/** How an item's plan is made: the remote's commit and file, and where new commits go. */
interface PlanInput {
  remote: string | null;
  entry: FileEntry | null;
  /** null in a dry run. */
  writer: FileCommitWriter | null;
  /** The remote's files this plan may read (several per git process). */
  blobs: BlobBatches;
}

async function planRun(item: Item, o: PlanInput): Promise<Plan> {
  const { remote, entry, writer, blobs } = o;
  const action = (a: SyncAction["action"], detail: string): Plan => ({
    action: { kind: item.kind, id: item.id, action: a, detail },
  });
  const all = readItem(item.file!);
  if (typeof all === "string") return action("skipped", all);
  if (all === null) return action("skipped", "the file is gone");
  const bytes = completeLines(all);
  if (bytes.length === 0) return action("skipped", "no complete line yet");
  const update = async (parent: string | null, detail: string) => ({
    update: {
      sha: await commitOf(item, { bytes, parent, writer }),
      ref: item.ref,
    },
    detail,
  });
  if (remote === null) return await update(null, `new, ${bytes.length} bytes`);
  if (entry === null) {
    return action("conflict", `the remote's ref holds no ${item.id}.jsonl`);
  }
  if (await blobHash(bytes, entry.blob) === entry.blob) {
    return action("up_to_date", "");
  }
  if (
    entry.size < bytes.length &&
    await blobHash(bytes.subarray(0, entry.size), entry.blob) === entry.blob
  ) {
    return await update(
      remote,
      `extended, ${bytes.length - entry.size} bytes more`,
    );
  }
  if (
    entry.size > bytes.length && startsWith(await blobs.read(entry), bytes)
  ) {
    return action("up_to_date", "the remote's copy is longer (exprag pull)");
  }
  return action(
    "conflict",
    "the remote's copy is not a prefix of this one (another run with the same id?); the remote was left as it is",
  );
}

async function planNotes(item: Item, o: PlanInput): Promise<Plan> {
  const { remote, entry, writer, blobs } = o;
  const read = readItem(item.file!);
  if (typeof read === "string") {
    return {
      action: { kind: "notes", id: item.id, action: "skipped", detail: read },
    };
  }
  const mine = read ?? new Uint8Array();
  if (
    entry !== null && mine.length === entry.size &&
    await blobHash(mine, entry.blob) === entry.blob
  ) {
    // the remote holds exactly this file: nothing of it is missing there
    return {
      action: { kind: "notes", id: item.id, action: "up_to_date", detail: "" },
    };
  }
  const local = lines(mine);
  let merged: string[];
  let detail: string;
  if (remote === null) {
    if (local.length === 0) {
      return {
        action: {
          kind: "notes",
          id: item.id,
          action: "skipped",
          detail: "empty",
        },
      };
    }
    merged = local;
    detail = `new, ${local.length} records`;
  } else {
    const theirs = entry === null ? [] : lines(await blobs.read(entry));
    const have = new Set(theirs);
    const added = local.filter((l) => !have.has(l) && (have.add(l), true));
    if (added.length === 0 && entry !== null) {
      return {
        action: {
          kind: "notes",
          id: item.id,
          action: "up_to_date",
          detail: "",
        },
      };
    }
    merged = [...theirs, ...added];
    detail = `${added.length} records added`;
  }
  const bytes = encoder.encode(merged.map((l) => l + "\n").join(""));
  return {
    update: {
      sha: await commitOf(item, { bytes, parent: remote, writer }),
      ref: item.ref,
    },
    detail,
  };
}

function planCode(item: Item, remote: string | null): Plan {
  if (remote === null) {
    return {
      update: { sha: item.sha!, ref: item.ref },
      detail: item.sha!.slice(0, 12),
    };
  }
  const action: SyncAction = remote === item.sha
    ? { kind: "code", id: item.id, action: "up_to_date", detail: "" }
    : {
      kind: "code",
      id: item.id,
      action: "conflict",
      detail: `the remote's code ref points at ${
        remote.slice(0, 12)
      }, this run's snapshot is ${item.sha!.slice(0, 12)}`,
    };
  return { action };
}

/**
 * The remote's commit of an item, fetched when missing here; `noCommit`:
 * the items whose remote ref names something else (a blob, a tree: made
 * by another tool), with what it names.
 */
async function remoteCommits(
  list: readonly Item[],
  o: { remote: string; tracking: string; prompt: boolean },
): Promise<
  { commits: Map<Item, string | null>; noCommit: Map<Item, string> }
> {
  const refs = listRemote(o.remote, { prefix: SYNC_PREFIX, prompt: o.prompt });
  const local = (i: Item) => `${o.tracking}${i.kind}/${i.id}`;
  const listed = list.filter((i) => i.kind !== "code" && refs.has(i.ref));
  const here = await existingCommits(listed.map((i) => refs.get(i.ref)!));
  const fetch = listed.filter((i) => !here.has(refs.get(i.ref)!));
  if (fetch.length > 0) {
    fetchRefs(o.remote, {
      refspecs: fetch.map((i) => `+${i.ref}:${local(i)}`),
      prompt: o.prompt,
    });
    // now here: looked up at once (a tag: its commit), not one git per ref
    const got = await existingCommits(fetch.map((i) => refs.get(i.ref)!));
    for (const [sha, commit] of got) here.set(sha, commit);
  }
  const out = new Map<Item, string | null>();
  const noCommit = new Map<Item, string>();
  for (const i of listed) {
    const sha = refs.get(i.ref)!;
    if (!here.has(sha)) noCommit.set(i, sha);
  }
  for (const i of list) {
    const sha = refs.get(i.ref);
    out.set(
      i,
      sha === undefined
        ? null
        : i.kind === "code"
        ? sha
        : here.get(sha) ?? null, // a tag: its commit
    );
  }
  return { commits: out, noCommit };
}

/** The file each run's and notes' remote commit holds (one batch for all). */
async function remoteEntries(
  list: readonly Item[],
  remotes: Map<Item, string | null>,
): Promise<Map<Item, FileEntry | null>> {
  const files = list.filter((i) => i.kind !== "code" && remotes.get(i) != null);
  const found = await fileEntries(
    files.map((i) => ({ commit: remotes.get(i)!, name: `${i.id}.jsonl` })),
  );
  return new Map(files.map((i, n) => [i, found[n]]));
}

/**
 * The remote files the plans will likely read, in plan order: a run's
 * when the local file is shorter (the remote's copy longer, or a
 * conflict), a notes file's when the sizes differ (a merge). Others are
 * read alone if needed.
 */
function likelyReads(
  list: readonly Item[],
  entries: ReadonlyMap<Item, FileEntry | null>,
): FileEntry[] {
  const out: FileEntry[] = [];
  for (const i of list) {
    const e = entries.get(i) ?? null;
    if (e === null) continue;
    const size = lstatOrNull(i.file!)?.size ?? 0;
    if (i.kind === "runs" ? size < e.size : size !== e.size) out.push(e);
  }
  return out;
}

/**
 * Points the private tracking refs at what the remote now holds, in one
 * `git update-ref --stdin` (one by one when that transaction fails: they
 * only save fetches, each is independent).
 */
async function setTrackingRefs(
  refs: readonly { ref: string; sha: string }[],
): Promise<void> {
  if (refs.length === 0) return;
  const input = refs.map((r) => `update ${r.ref} ${r.sha}\n`).join("");
  const out = await runGitInput(
    ["update-ref", "--stdin"],
    encoder.encode(input),
  );
  if (out.code === 0) return;
  for (const r of refs) runGit(["update-ref", r.ref, r.sha]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Runs `push`.
 *
 * @param ctx The invocation.
 * @returns The exit code: 1 when any item conflicted.
 */
export async function run(ctx: Context): Promise<number> {
  const remote = checkRemote(ctx.args[0], "push");
  const dryRun = ctx.options["dry-run"] === true;
  const prompt = ctx.options.prompt === true;
  toplevel(); // a NotFoundError outside a repository
  const tracking = await trackingPrefix(remote);
  const { items: all, skipped } = await items(ctx, ctx.args.slice(1));
  const actions: SyncAction[] = [...skipped];
  let pending = all;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const { commits: remotes, noCommit } = await remoteCommits(pending, {
      remote,
      tracking,
      prompt,
    });
    const entries = await remoteEntries(pending, remotes);
    const planned: {
      item: Item;
      sha: string | number;
      ref: string;
      detail: string;
    }[] = [];
    const writer = dryRun ? null : new FileCommitWriter();
    const blobs = new BlobBatches(likelyReads(pending, entries));
    for (const item of pending) {
      const other = noCommit.get(item);
      if (other !== undefined) {
        // no commit to extend: a push would only be refused ("needs force")
        actions.push({
          kind: item.kind,
          id: item.id,
          action: "conflict",
          detail: `the remote's ref names no commit (${
            other.slice(0, 12)
          }); the remote was left as it is`,
        });
        continue;
      }
      const r = remotes.get(item) ?? null;
      const o = { remote: r, entry: entries.get(item) ?? null, writer, blobs };
      const plan = item.kind === "runs"
        ? await planRun(item, o)
        : item.kind === "notes"
        ? await planNotes(item, o)
        : planCode(item, r);
      if ("action" in plan) actions.push(plan.action);
      else planned.push({ item, ...plan.update, detail: plan.detail });
    }
    const made = await writer?.finish() ?? new Map<number, string>();
    const updates = planned.map((u) => ({
      ...u,
      sha: typeof u.sha === "number" ? made.get(u.sha)! : u.sha,
    }));
    if (dryRun) {
      for (const u of updates) {
        actions.push({
          kind: u.item.kind,
          id: u.item.id,
          action: "pushed",
          detail: u.detail,
        });
      }
      break;
    }
    const results = updates.length === 0
      ? []
      : pushRefs(remote, { updates, prompt });
    pending = [];
    const tracked: { ref: string; sha: string }[] = [];
    results.forEach((res, i) => {
      const u = updates[i];
      const a = { kind: u.item.kind, id: u.item.id };
      if (res.status === "ok" || res.status === "uptodate") {
        tracked.push({
          ref: `${tracking}${u.item.kind}/${u.item.id}`,
          sha: u.sha,
        });
        actions.push({
          ...a,
          action: res.status === "ok" ? "pushed" : "up_to_date",
          detail: u.detail,
        });
      } else if (res.status === "rejected" && attempt < ATTEMPTS) {
        pending.push(u.item);
      } else {
        actions.push({
          ...a,
          action: "conflict",
          detail: res.status === "rejected"
            ? `the remote's ref kept moving (${res.summary}); try again`
            : `git refused: ${res.summary}`,
        });
      }
    });
    await setTrackingRefs(tracked);
    if (pending.length > 0) await sleep(20 + Math.random() * 100 * attempt);
  }
  return report(ctx, { verb: "pushed", remote, dryRun, actions });
}
