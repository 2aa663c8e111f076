/**
 * Talking to a git remote for `exprag push`/`pull`: listing refs
 * (`ls-remote`), fetching into a private namespace and pushing by hash,
 * never prompting for credentials unless asked.
 *
 * - `GIT_TERMINAL_PROMPT=0` and `credential.interactive=never` (git's own
 *   switches; git before 2.46 ignores the second), `GIT_ASKPASS` and
 *   `SSH_ASKPASS` set empty (git asks an askpass program even with
 *   terminal prompts off: `GIT_ASKPASS`, else `core.askPass`, else
 *   `SSH_ASKPASS`, as editors' terminals and desktop sessions set them; an
 *   empty `GIT_ASKPASS` stops that search, an empty `SSH_ASKPASS` stops
 *   ssh's), and ssh in batch mode (`core.sshCommand=ssh -o
 *   BatchMode=yes`, only when neither `core.sshCommand` nor a visible
 *   `GIT_SSH_COMMAND`/`GIT_SSH` is set: the user's choice wins), unless
 *   `prompt` is set.
 * - A push is never forced: a ref moves only by fast-forward, which git's
 *   receive-pack applies as an atomic compare-and-swap per ref.
 *
 * Requires `--allow-run=git` (callers query it first).
 *
 * @module
 */

import { GitError } from "../errors.ts";
import { granted } from "../permissions.ts";
import type { GitResult } from "./exec.ts";
import { firstError, runGit, sleepSync } from "./run.ts";

/**
 * A remote as messages show it: a URL without its password, and an
 * http(s) URL without its user name too (where tokens are given as one:
 * `https://ghp_…@github.com/x.git`), as git's own messages leave them out;
 * `ssh://git@host/x.git` is shown as it is.
 *
 * @param remote A remote name, path or URL.
 * @returns The same without credentials.
 */
export function shownRemote(remote: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)@/.exec(remote);
  if (m === null) return remote;
  const [all, scheme, userinfo] = m;
  const keep = !/^https?$/i.test(scheme) && !userinfo.includes(":");
  return keep ? remote : `${scheme}://${remote.slice(all.length)}`;
}

/** How to reach a remote. */
export interface RemoteOptions {
  /** Let git prompt for credentials and ssh ask questions. */
  prompt?: boolean;
}

/** One ref update a push asked for, as git reported it. */
export interface PushResult {
  /** The destination ref. */
  ref: string;
  /** ok (moved or created), uptodate, rejected (someone else moved it), or error. */
  status: "ok" | "uptodate" | "rejected" | "error";
  /** git's summary, e.g. `[rejected] (fetch first)`. */
  summary: string;
}

function envSet(name: string): boolean {
  return granted({ name: "env", variable: name }) &&
    (Deno.env.get(name) ?? "") !== "";
}

/** Seconds a remote may send nothing before git gives up (unless the user set a limit). */
export const STALL_S = 30;

/** The user's settings among those a remote call would otherwise set (lower-case keys). */
function userSettings(): Set<string> {
  const r = runGit([
    "config",
    "--get-regexp",
    "^(core\\.sshcommand|http\\.lowspeed(limit|time))$",
  ]);
  return new Set(
    r.stdout.split("\n").filter((l) => l !== "").map((l) =>
      l.split(" ")[0].toLowerCase()
    ),
  );
}

/** The leading config and environment of every remote command. */
function remoteCall(
  options: RemoteOptions,
): { config: string[]; env: Record<string, string> } {
  const user = userSettings();
  // a server that accepts and then sends nothing: git would wait forever
  const config: string[] = [];
  if (!user.has("http.lowspeedlimit")) {
    config.push("-c", "http.lowSpeedLimit=1");
  }
  if (!user.has("http.lowspeedtime")) {
    config.push("-c", `http.lowSpeedTime=${STALL_S}`);
  }
  if (options.prompt === true) {
    return { config, env: { GIT_TERMINAL_PROMPT: "1" } };
  }
  config.push("-c", "credential.interactive=never");
  const userSsh = envSet("GIT_SSH_COMMAND") || envSet("GIT_SSH") ||
    user.has("core.sshcommand");
  if (!userSsh) {
    config.push(
      "-c",
      `core.sshCommand=ssh -o BatchMode=yes -o ConnectTimeout=${STALL_S} -o ServerAliveInterval=${
        STALL_S / 2
      } -o ServerAliveCountMax=2`,
    );
  }
  return {
    config,
    env: { GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", SSH_ASKPASS: "" },
  };
}

/**
 * Runs a git command that talks to a remote, never prompting unless
 * `options.prompt` (see the module documentation).
 *
 * @param args git's arguments (after the leading `-c` settings).
 * @param options How to reach the remote.
 * @returns git's output.
 * @throws {GitNotFoundError} When git is not on PATH.
 */
export function remoteGit(
  args: string[],
  options: RemoteOptions,
): GitResult {
  const { config, env } = remoteCall(options);
  return runGit([...config, ...args], env);
}

/**
 * The refs of a remote under a prefix.
 *
 * @param remote A remote name or URL/path.
 * @param o The prefix (ending in `/`) and how to reach the remote.
 * @returns Ref name → hash.
 * @throws {GitError} When the remote cannot be read (git's reason).
 */
export function listRemote(
  remote: string,
  o: { prefix: string } & RemoteOptions,
): Map<string, string> {
  const r = remoteGit(
    ["ls-remote", "--refs", "--end-of-options", remote, `${o.prefix}*`],
    o,
  );
  if (r.code !== 0) {
    throw new GitError(`git ls-remote ${shownRemote(remote)}`, firstError(r));
  }
  const refs = new Map<string, string>();
  for (const line of r.stdout.split("\n")) {
    const m = /^([0-9a-f]{40,64})\t(.+)$/.exec(line);
    if (m !== null && m[2].startsWith(o.prefix)) refs.set(m[2], m[1]);
  }
  return refs;
}

/**
 * Fetches refs into local refs (`+src:dst` refspecs, tags and submodules
 * left alone, no FETCH_HEAD), in batches.
 *
 * @param remote A remote name or URL/path.
 * @param o The refspecs and how to reach the remote.
 * @throws {GitError} When the fetch fails (git's reason).
 */
export function fetchRefs(
  remote: string,
  o: { refspecs: readonly string[]; prune?: boolean } & RemoteOptions,
): void {
  for (let i = 0; i < o.refspecs.length; i += 200) {
    const args = [
      "fetch",
      "--quiet",
      "--no-tags",
      "--no-recurse-submodules",
      ...(o.prune === true ? ["--prune"] : []),
      "--end-of-options",
      remote,
      ...o.refspecs.slice(i, i + 200),
    ];
    let r = remoteGit(args, o);
    // a concurrent fetch into the same refs holds their lock: wait, retry
    for (
      let n = 0;
      n < 5 && r.code !== 0 && /\.lock\b|cannot lock/.test(r.stderr);
      n++
    ) {
      sleepSync(50 + Math.random() * 200);
      r = remoteGit(args, o);
    }
    if (r.code !== 0) {
      throw new GitError(`git fetch ${shownRemote(remote)}`, firstError(r));
    }
  }
}

/**
 * The leading `-c` of a `git push` of exprag's refs to `remote`: a
 * configured remote's `mirror` off (a mirror remote refuses refspecs:
 * "--mirror can't be combined with refspecs").
 *
 * @param remote A remote name or URL/path.
 * @returns `-c remote.<name>.mirror=false` for a remote name, else nothing.
 */
export function pushConfig(remote: string): string[] {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(remote)
    ? ["-c", `remote.${remote}.mirror=false`]
    : [];
}

/**
 * The options of every `git push` of exprag's refs: never a hook, a
 * signature, a submodule or a tag the user's config would add
 * (`push.followTags` would send the tags of a snapshot's history).
 */
export const PUSH_OPTIONS: readonly string[] = [
  "--porcelain",
  "--no-verify",
  "--no-signed",
  "--no-follow-tags",
  "--recurse-submodules=no",
];

/** A rejection caused by another pusher of the same ref (retry after re-reading it). */
const RETRYABLE =
  /fetch first|non-fast-forward|stale info|already exists|failed to update ref|cannot lock|incorrect old value/;

const PORCELAIN = /^([ +\-*!=])\t([^\t]*):([^\t]*)\t(.*)$/;

/**
 * Pushes hashes to remote refs, never forced (fast-forwards and new refs
 * only); each ref succeeds or fails on its own.
 *
 * @param remote A remote name or URL/path.
 * @param o The updates (`sha:ref`) and how to reach the remote.
 * @returns One result per update.
 * @throws {GitError} When the push failed as a whole (unreachable remote,
 *   credentials).
 */
export function pushRefs(
  remote: string,
  o: { updates: readonly { sha: string; ref: string }[] } & RemoteOptions,
): PushResult[] {
  const results: PushResult[] = [];
  for (let i = 0; i < o.updates.length; i += 200) {
    const batch = o.updates.slice(i, i + 200);
    const r = remoteGit([
      ...pushConfig(remote),
      "push",
      ...PUSH_OPTIONS,
      "--end-of-options",
      remote,
      ...batch.map((u) => `${u.sha}:${u.ref}`),
    ], o);
    const seen = new Map<string, PushResult>();
    for (const line of r.stdout.split("\n")) {
      const m = PORCELAIN.exec(line);
      if (m === null) continue;
      const status = m[1] === "!"
        ? (RETRYABLE.test(m[4]) ? "rejected" : "error")
        : m[1] === "="
        ? "uptodate"
        : "ok";
      seen.set(m[3], { ref: m[3], status, summary: m[4] });
    }
    if (seen.size === 0 && r.code !== 0) {
      throw new GitError(`git push ${shownRemote(remote)}`, firstError(r));
    }
    for (const u of batch) {
      results.push(
        seen.get(u.ref) ??
          { ref: u.ref, status: "error", summary: firstError(r) },
      );
    }
  }
  return results;
}
