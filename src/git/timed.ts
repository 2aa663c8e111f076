/**
 * Running git with a time limit, synchronously: the child is spawned from a
 * worker (which can wait for it asynchronously and kill it), while the
 * calling thread blocks on a shared buffer. This is the only way Deno offers
 * to bound a synchronous call's time (`Deno.Command.outputSync` has no
 * timeout); it costs a worker start (~20 ms) per capture.
 *
 * Requires `--allow-run=git` (the worker inherits the permissions).
 *
 * @module
 */

/** The output of one timed git invocation. */
export interface TimedOutput {
  /** Exit code (-1 when timed out). */
  code: number;
  /** Standard output. */
  stdout: Uint8Array;
  /** Standard error. */
  stderr: Uint8Array;
  /** Whether git was killed at the time limit. */
  timedOut: boolean;
}

/** The worker: spawns git, kills it at the limit, answers through shared memory. */
const WORKER_SOURCE = `
const concat = (chunks) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
};
const drain = async (stream) => {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return concat(chunks);
};
self.onmessage = async (e) => {
  const { args, env, timeoutMs, ctl, data } = e.data;
  const c = new Int32Array(ctl);
  const done = (code, out, err, flags) => {
    const n = out.length + err.length;
    if (data.byteLength < n) data.grow(n);
    const u = new Uint8Array(data);
    u.set(out, 0);
    u.set(err, out.length);
    c[1] = code; c[2] = out.length; c[3] = n; c[4] = flags;
    Atomics.store(c, 0, 1);
    Atomics.notify(c, 0);
  };
  let child;
  try {
    child = new Deno.Command("git", {
      args, env, stdin: "null", stdout: "piped", stderr: "piped",
    }).spawn();
  } catch (err) {
    const what = JSON.stringify({ name: err?.name, message: err?.message });
    done(0, new Uint8Array(), new TextEncoder().encode(what), 2);
    return;
  }
  const out = drain(child.stdout);
  const err = drain(child.stderr);
  let timer;
  const limit = new Promise((r) => { timer = setTimeout(() => r(null), timeoutMs); });
  const status = await Promise.race([child.status, limit]);
  if (status === null) {
    try { child.kill("SIGKILL"); } catch { /* gone */ }
    done(-1, new Uint8Array(), new Uint8Array(), 1);
    return;
  }
  clearTimeout(timer);
  done(status.code, await out, await err, 0);
};
`;

/** Extra time the caller waits beyond the limit for the worker's answer. */
const ANSWER_GRACE_MS = 10_000;
/** The largest output a timed call can return. */
const MAX_OUTPUT_BYTES = 1 << 30;

let worker: Worker | null = null;
let workerUrl: string | null = null;

/** The worker, started on first use; null where workers cannot be started. */
function theWorker(): Worker | null {
  if (worker === null) {
    try {
      workerUrl ??= URL.createObjectURL(
        new Blob([WORKER_SOURCE], { type: "application/javascript" }),
      );
      worker = new Worker(workerUrl, { type: "module" });
    } catch {
      return null;
    }
  }
  return worker;
}

/**
 * Stops the worker started by {@linkcode runTimed} (a live worker keeps the
 * process running); the next timed call starts a new one.
 */
export function stopTimedRunner(): void {
  worker?.terminate();
  worker = null;
}

function rebuildError(bytes: Uint8Array): Error {
  const { name, message } = JSON.parse(new TextDecoder().decode(bytes));
  const known = Deno.errors as unknown as Record<
    string,
    new (message: string) => Error
  >;
  const Ctor = known[name] ?? Error;
  return new Ctor(String(message));
}

/**
 * Runs git with no standard input, killing it after `timeoutMs`.
 *
 * @param args The arguments.
 * @param env The child's extra environment.
 * @param timeoutMs The time limit.
 * @returns Exit code and raw output, or `timedOut`; null when no worker
 *   can be started here (the caller runs git without a limit).
 * @throws {Error} The spawn error (e.g. `Deno.errors.NotFound`), as Deno raised it.
 */
export function runTimed(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs: number,
): TimedOutput | null {
  const w = theWorker();
  if (w === null) return null;
  const ctl = new SharedArrayBuffer(5 * 4);
  const data = new SharedArrayBuffer(0, { maxByteLength: MAX_OUTPUT_BYTES });
  w.postMessage({ args: [...args], env, timeoutMs, ctl, data });
  const c = new Int32Array(ctl);
  const waited = Atomics.wait(c, 0, 0, timeoutMs + ANSWER_GRACE_MS);
  const timedOut = waited === "timed-out" || c[4] === 1;
  if (timedOut) {
    // the worker may still be reading pipes a filter holds open: drop it
    stopTimedRunner();
    const none = new Uint8Array();
    return { code: -1, stdout: none, stderr: none, timedOut: true };
  }
  const bytes = new Uint8Array(data).slice(0, c[3]);
  if (c[4] === 2) throw rebuildError(bytes);
  return {
    code: c[1],
    stdout: bytes.subarray(0, c[2]),
    stderr: bytes.subarray(c[2]),
    timedOut: false,
  };
}
