/**
 * What `run_end` records: the status, exit code, error or signal, counts
 * and the summary.
 *
 * @module
 */
import type { ErrorInfo, RunEndValue } from "../record.ts";
import type { SummaryBuilder } from "../summary.ts";
import type { ExitInfo } from "./lifecycle.ts";

/**
 * An error as recorded: `{name, message, stack}`, whatever was thrown (a
 * non-error is recorded as its JSON text or string).
 *
 * @param e What was thrown or given.
 * @returns Its recorded form; never throws.
 */
export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof Error) {
    let name = "Error", message = "", stack: string | null = null;
    try {
      name = String(e.name);
      message = String(e.message);
      stack = typeof e.stack === "string" ? e.stack : null;
    } catch { /* keep what was read */ }
    return { name, message, stack };
  }
  let message: string;
  try {
    message = typeof e === "string" ? e : JSON.stringify(e) ?? String(e);
  } catch {
    try {
      message = String(e);
    } catch {
      message = "an unprintable value";
    }
  }
  return { name: "Error", message, stack: null };
}

/**
 * The value of `run_end`, keys in the recorded order.
 *
 * @param info How the run ended.
 * @param counts The number of track records, the duration and the summary.
 * @returns The value.
 */
export function runEndValue(
  info: ExitInfo,
  counts: { trackCount: number; durationMs: number; summary: SummaryBuilder },
): RunEndValue {
  const value = {
    status: info.status,
    exit_code: info.exitCode,
  } as RunEndValue;
  if ("error" in info) value.error = errorInfo(info.error);
  if (info.signal !== undefined) value.signal = info.signal;
  value.track_count = counts.trackCount;
  value.duration_ms = counts.durationMs;
  value.summary = counts.summary.toJSON();
  value.summary_truncated = counts.summary.truncated;
  return value;
}
