/**
 * Process lifecycle: one set of global listeners shared by every open
 * experiment, writing `run_end` when the process ends.
 *
 * What Deno 2.9 does, checked with real subprocesses:
 * - normal end, `Deno.exit(n)`, a non-zero `Deno.exitCode`: `unload` fires
 *   and `Deno.exitCode` holds the code the process exits with;
 * - an uncaught error in a callback: the `error` event fires, then the
 *   process exits with code 1 (whatever `Deno.exitCode` says) and `unload`
 *   does not fire;
 * - a top-level throw or an unhandled rejection: `unhandledrejection` fires,
 *   then exit code 1, no `unload`;
 * - microtasks queued from those listeners run only when some listener
 *   called `preventDefault()` (the process then survives); otherwise the
 *   process exits right after the dispatch;
 * - a top-level await that never resolves: exit code 1 and no event at all
 *   (the run keeps no run_end; readers see an unlocked file: crashed).
 *
 * - `unload` listeners run in the order they were added; one that throws
 *   fires the `error` event (the later ones do not run) and the process
 *   exits with code 1.
 *
 * So failures are written from inside the `error`/`unhandledrejection`
 * dispatch, as a tentative `run_end` that is rolled back (truncated away)
 * in a microtask if a later listener prevented the default. Runs ended by
 * the `unload` listener stay amendable for the rest of the dispatch: a
 * user's `unload` listener that runs after ours and throws (or calls
 * `track()` on the ended run) makes the process exit 1, and `run_end` is
 * amended to say so.
 *
 * @module
 */
import type { EndStatus } from "../record.ts";

/** How the process (or the run) ended. */
export interface ExitInfo {
  /** The run's final status. */
  status: EndStatus;
  /** The process exit code, when known. */
  exitCode: number | null;
  /** The error, for failures with one. */
  error?: unknown;
  /** The signal, when interrupted by one. */
  signal?: "SIGINT" | "SIGTERM";
  /** Ended by the `unload` event: later unload listeners may still track. */
  atUnload?: boolean;
}

/** An open run, as seen by the lifecycle. */
export interface Participant {
  /** Whether this run asked for SIGINT/SIGTERM handling. */
  readonly handleSignals: boolean;
  /**
   * The process is ending: write run_end.
   *
   * @param info How it ends.
   * @param tentative The process may still survive (an error event): keep
   * the file open and return a function that rolls the record back.
   * @returns The rollback, if something was written tentatively.
   */
  processEnd(info: ExitInfo, tentative: boolean): (() => void) | undefined;
}

const open = new Set<Participant>();
/** Runs ended by default (`end()`, `using`) during the current event loop turn. */
const recent = new Set<Participant>();
let installed = false;
let signalsOn = false;
let recentTimer: ReturnType<typeof setTimeout> | undefined;

function report(e: unknown): void {
  // Never throw from a process-end listener (it would change the exit code).
  console.error(
    `exprag: could not record the end of a run: ${
      e instanceof Error ? e.message : String(e)
    }`,
  );
}

function onUnload(): void {
  if (open.size === 0) return;
  const code = typeof Deno.exitCode === "number" ? Deno.exitCode : 0;
  const info: ExitInfo = code === 0
    ? { status: "finished", exitCode: 0, atUnload: true }
    : { status: "failed", exitCode: code, atUnload: true };
  for (const p of [...open]) {
    try {
      p.processEnd(info, false);
    } catch (e) {
      report(e);
    }
    // A later unload listener may still fail the process (see @module).
    recent.add(p);
  }
}

function fail(event: Event, error: unknown): void {
  if (event.defaultPrevented || (open.size === 0 && recent.size === 0)) {
    return;
  }
  const info: ExitInfo = { status: "failed", exitCode: 1, error };
  const undo: (() => void)[] = [];
  for (const p of [...open, ...recent]) {
    try {
      const u = p.processEnd(info, true);
      if (u !== undefined) undo.push(u);
    } catch (e) {
      report(e);
    }
  }
  if (undo.length > 0) {
    // Runs only if the process survives, i.e. a later listener prevented
    // the default: the error was handled, so the runs go on.
    queueMicrotask(() => {
      if (!event.defaultPrevented) return;
      for (const u of undo) {
        try {
          u();
        } catch (e) {
          report(e);
        }
      }
    });
  }
}

function onError(event: Event): void {
  const e = event as ErrorEvent;
  fail(e, e.error !== undefined ? e.error : e.message);
}

function onRejection(event: Event): void {
  fail(event, (event as PromiseRejectionEvent).reason);
}

function onSignal(signal: "SIGINT" | "SIGTERM"): void {
  const code = signal === "SIGINT" ? 130 : 143;
  const info: ExitInfo = { status: "interrupted", exitCode: code, signal };
  for (const p of [...open]) {
    try {
      p.processEnd(info, false);
    } catch (e) {
      report(e);
    }
  }
  Deno.exit(code);
}

const onSigint = () => onSignal("SIGINT");
const onSigterm = () => onSignal("SIGTERM");

function updateSignals(): void {
  let want = false;
  for (const p of open) {
    if (p.handleSignals) {
      want = true;
      break;
    }
  }
  if (want === signalsOn) return;
  signalsOn = want;
  for (
    const [sig, f] of [["SIGINT", onSigint], ["SIGTERM", onSigterm]] as const
  ) {
    try {
      if (want) Deno.addSignalListener(sig, f);
      else Deno.removeSignalListener(sig, f);
    } catch {
      // SIGTERM is not supported on Windows; nothing to handle there.
    }
  }
}

/**
 * Adds an open run: installs the global listeners on first use.
 *
 * @param p The run.
 */
export function register(p: Participant): void {
  if (!installed) {
    installed = true;
    globalThis.addEventListener("unload", onUnload);
    globalThis.addEventListener("error", onError);
    globalThis.addEventListener("unhandledrejection", onRejection);
  }
  open.add(p);
  updateSignals();
}

/**
 * Removes a run that has ended.
 *
 * @param p The run.
 * @param amendable The run ended by default (`end()` without a status,
 * `using`): if an uncaught error follows within the same event loop turn,
 * it was the error leaving the run's scope, and the run_end is amended to
 * `failed`.
 */
export function unregister(p: Participant, amendable: boolean): void {
  open.delete(p);
  if (amendable) {
    recent.add(p);
    if (recentTimer === undefined) {
      // Clear after two timer hops: Deno may run an already expired timer
      // before it dispatches the unhandled rejection of the same turn (a
      // top-level throw), but a timer set from a timer callback cannot.
      const arm = (hops: number) => {
        const timer = setTimeout(() => {
          if (hops > 1) return arm(hops - 1);
          recentTimer = undefined;
          recent.clear();
        }, 0);
        Deno.unrefTimer(timer);
        recentTimer = timer;
      };
      arm(2);
    }
  }
  updateSignals();
}

/**
 * Forgets a run that no longer needs amending.
 *
 * @param p The run.
 */
export function forget(p: Participant): void {
  recent.delete(p);
}
