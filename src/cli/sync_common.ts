/**
 * What `exprag push` and `exprag pull` share: the remote ref namespace,
 * the private local namespace a remote's refs are fetched into, the
 * complete lines of a file, and the per-item report with its summary line.
 *
 * Remote namespace (never under `refs/heads`, so runs stay out of the
 * branch list), one ref per run so that pushers of different runs never
 * contend:
 *
 * - `refs/exprag/sync/runs/<id>`: a commit whose tree holds `<id>.jsonl`,
 *   the run file (`<id>` is the file's name without `.jsonl`);
 * - `refs/exprag/sync/notes/<id>`: likewise, the notes file;
 * - `refs/exprag/sync/code/<run_id>`: a dirty run's snapshot commit.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { shownRemote } from "../git/remote.ts";
import { runGit } from "../git/run.ts";
import type { Context } from "./context.ts";
import { escapeText, json, stderrLine } from "./format.ts";

/** The remote ref prefix of everything exprag syncs. */
export const SYNC_PREFIX = "refs/exprag/sync/";

/** The kinds of synced item, which are also the ref namespaces' names. */
export type SyncKind = "runs" | "notes" | "code";

/** What happened to one item. */
export type SyncActionName =
  | "pushed"
  | "pulled"
  | "up_to_date"
  | "conflict"
  | "skipped";

/** One item's outcome. */
export interface SyncAction {
  /** runs, notes or code. */
  kind: SyncKind;
  /** The run id (the file name's stem for runs and notes). */
  id: string;
  /** What happened (with `--dry-run`: what would happen). */
  action: SyncActionName;
  /** Details: `new`, `extended`, `grown`, `3 records`, a conflict's reason. */
  detail: string;
}

/**
 * The local ref prefix a remote's sync refs are fetched into:
 * `refs/exprag/remotes/<name>/` for a configured remote, else
 * `refs/exprag/remotes/url-<hash of the URL>/`.
 *
 * @param remote The remote as given.
 * @returns The prefix, ending in `/`.
 */
export async function trackingPrefix(remote: string): Promise<string> {
  if (
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(remote) &&
    !remote.includes("..") &&
    !remote.endsWith(".lock") &&
    runGit(["remote", "get-url", "--", remote]).code === 0
  ) return `refs/exprag/remotes/${remote}/`;
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(remote),
  );
  const hex = [...new Uint8Array(digest).slice(0, 8)].map((b) =>
    b.toString(16).padStart(2, "0")
  ).join("");
  return `refs/exprag/remotes/url-${hex}/`;
}

/**
 * Checks the REMOTE argument.
 *
 * @param remote The argument.
 * @param command push or pull.
 * @returns The remote.
 * @throws {UsageError} For an empty remote or one starting with `-`.
 */
export function checkRemote(remote: string, command: string): string {
  if (remote === "" || remote.startsWith("-") || remote.includes("\0")) {
    throw new UsageError(
      `REMOTE must be a remote name, URL or path, not ${
        JSON.stringify(remote)
      }`,
      command,
    );
  }
  return remote;
}

/**
 * The complete lines of a file's bytes: up to and including the last
 * newline (a live run's unfinished last line is left for next time).
 *
 * @param bytes The file's bytes.
 * @returns The prefix ending in `\n` (possibly empty).
 */
export function completeLines(bytes: Uint8Array): Uint8Array {
  const last = bytes.lastIndexOf(10);
  return bytes.subarray(0, last + 1);
}

/**
 * Whether `a` begins with all of `b`.
 *
 * @param a The longer bytes.
 * @param b The prefix.
 * @returns True when `b` is a prefix of `a`.
 */
export function startsWith(a: Uint8Array, b: Uint8Array): boolean {
  if (b.length > a.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Reads a file, or null when it is absent.
 *
 * @param path The file.
 * @returns Its bytes, or null.
 */
export function readOrNull(path: string): Uint8Array | null {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/**
 * Warns (stderr) about a file bigger than `--warn-size`.
 *
 * @param ctx The invocation.
 * @param o What the file is and its size.
 */
export function warnSize(
  ctx: Context,
  o: { what: string; size: number },
): void {
  const limit = Number(ctx.options["warn-size"] ?? 100 * 1024 * 1024);
  if (o.size <= limit) return;
  const mib = (o.size / 1024 / 1024).toFixed(1);
  stderrLine(
    `exprag: warning: ${
      escapeText(o.what)
    } is ${mib} MiB (over --warn-size ${limit}); git stores it compressed, but every clone that pulls it gets it`,
  );
}

const NOUNS: Record<SyncKind, [string, string]> = {
  runs: ["run", "runs"],
  notes: ["notes file", "notes files"],
  code: ["code ref", "code refs"],
};

function count(n: number, kind: SyncKind): string {
  return `${n} ${NOUNS[kind][n === 1 ? 0 : 1]}`;
}

/**
 * Prints the report: one line per item that moved or conflicted (all
 * items with `--json`), then the summary line, e.g. `pushed 3 runs, 0
 * notes files, 1 code ref; 2 up to date; 0 conflicts`.
 *
 * @param ctx The invocation.
 * @param o The verb (pushed/pulled), the remote, dry run, the actions.
 * @returns The exit code: 1 when any item conflicted, else 0.
 */
export function report(
  ctx: Context,
  o: {
    verb: "pushed" | "pulled";
    remote: string;
    dryRun: boolean;
    actions: readonly SyncAction[];
  },
): number {
  const moved = { runs: 0, notes: 0, code: 0 };
  let upToDate = 0, conflicts = 0, skipped = 0;
  for (const a of o.actions) {
    if (a.action === o.verb) moved[a.kind]++;
    else if (a.action === "up_to_date") upToDate++;
    else if (a.action === "conflict") conflicts++;
    else skipped++;
  }
  const total = moved.runs + moved.notes + moved.code;
  const base = o.verb === "pushed" ? "push" : "pull";
  const verb = o.dryRun ? `would ${base}` : o.verb;
  const head = total === 0
    ? `nothing to ${base}`
    : `${verb} ${count(moved.runs, "runs")}, ${count(moved.notes, "notes")}, ${
      count(moved.code, "code")
    }`;
  const summary = `${head}; ${upToDate} up to date; ${conflicts} conflict${
    conflicts === 1 ? "" : "s"
  }${skipped > 0 ? `; ${skipped} skipped` : ""}`;
  if (ctx.json) {
    json(ctx.out, {
      remote: shownRemote(o.remote),
      dry_run: o.dryRun,
      actions: o.actions,
      summary: {
        runs: moved.runs,
        notes: moved.notes,
        code: moved.code,
        up_to_date: upToDate,
        conflicts,
        skipped,
        text: summary,
      },
    });
    return conflicts > 0 ? 1 : 0;
  }
  for (const a of o.actions) {
    if (a.action === "up_to_date") continue;
    const what = a.action === o.verb && o.dryRun ? `would ${base}` : a.action;
    ctx.out.line(
      escapeText(
        `${what} ${NOUNS[a.kind][0]} ${a.id}${
          a.detail === "" ? "" : `: ${a.detail}`
        }`,
      ),
    );
  }
  ctx.out.line(summary);
  return conflicts > 0 ? 1 : 0;
}
