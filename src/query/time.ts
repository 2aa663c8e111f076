/**
 * Timestamps compared as instants: RFC 3339 with `Z` or offsets and up to
 * nine fraction digits (Python exprag writes `+00:00` and nanoseconds).
 *
 * @module
 */

import { UsageError } from "../errors.ts";

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

const DURATION = /^(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Milliseconds since the epoch of a timestamp in exactly the form
 * `Date#toISOString` writes (`YYYY-MM-DDTHH:MM:SS.mmmZ`, what our tracker
 * writes), without a RegExp; NaN for anything else, which then takes the
 * general path. Checks and arithmetic are those of the general path.
 */
function canonicalMs(t: string): number {
  if (
    t.charCodeAt(23) !== 90 || t.charCodeAt(19) !== 46 ||
    t.charCodeAt(10) !== 84 || t.charCodeAt(4) !== 45 ||
    t.charCodeAt(7) !== 45 || t.charCodeAt(13) !== 58 ||
    t.charCodeAt(16) !== 58
  ) return NaN;
  let bad = 0;
  const d = (i: number): number => {
    const c = t.charCodeAt(i) - 48;
    if (c < 0 || c > 9) bad = 1;
    return c;
  };
  const year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
  const month = d(5) * 10 + d(6), day = d(8) * 10 + d(9);
  const hour = d(11) * 10 + d(12), minute = d(14) * 10 + d(15);
  const second = d(17) * 10 + d(18);
  const milli = d(20) * 100 + d(21) * 10 + d(22);
  if (
    bad !== 0 || month < 1 || month > 12 || day < 1 || hour > 23 ||
    minute > 59 || second > 60
  ) return NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS[month - 1])) return NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second) + milli;
}

function tryParse(text: string): bigint | undefined {
  if (text.length === 24) {
    const ms = canonicalMs(text);
    if (ms === ms) return BigInt(ms) * 1_000_000n;
  }
  const m = RFC3339.exec(text.length > 64 ? "" : text.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone] = m;
  const year = +y, month = +mo, day = +d;
  const hour = +h, minute = +mi, second = +s;
  if (
    month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 ||
    second > 60
  ) {
    return undefined;
  }
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS[month - 1])) return undefined; // e.g. 2026-02-30
  let offsetMin = 0;
  if (zone !== undefined && zone !== "Z" && zone !== "z") {
    const sign = zone.charCodeAt(0) === 45 ? -1 : 1;
    const digits = zone.length === 6
      ? zone.slice(1, 3) + zone.slice(4)
      : zone.slice(1);
    const oh = +digits.slice(0, 2);
    const om = digits.length > 2 ? +digits.slice(2, 4) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMin = sign * (oh * 60 + om);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) -
    offsetMin * 60_000;
  // fraction: whole milliseconds plus the nanoseconds below them
  const f9 = frac === "" ? 0 : +frac.padEnd(9, "0");
  const fracMs = Math.floor(f9 / 1_000_000);
  return BigInt(ms + fracMs) * 1_000_000n + BigInt(f9 - fracMs * 1_000_000);
}

/**
 * Parses an RFC 3339 timestamp (`Z` or `±HH:MM`, up to 9 fraction digits;
 * a date alone or a time without offset is taken as UTC) into nanoseconds
 * since the Unix epoch.
 *
 * @param text The timestamp, e.g. `2026-11-20T10:11:12.123456789+00:00`.
 * @returns Nanoseconds since 1970-01-01T00:00:00Z.
 * @throws {UsageError} (a `RangeError`) When the text is not such a timestamp.
 * @example
 * ```ts
 * import { parseTimestamp } from "./time.ts";
 * parseTimestamp("2026-11-20T10:11:12.5Z") ===
 *   parseTimestamp("2026-11-20T11:11:12.500000000+01:00"); // true
 * ```
 */
export function parseTimestamp(text: string): bigint {
  const t = typeof text === "string" ? tryParse(text) : undefined;
  if (t === undefined) {
    throw new UsageError(
      `Invalid timestamp ${
        JSON.stringify(text)
      }: expected RFC 3339 like 2026-11-20T10:11:12Z`,
    );
  }
  return t;
}

/**
 * Parses a timestamp like {@linkcode parseTimestamp}, or returns
 * `undefined` for anything else (for untrusted record fields).
 *
 * @param value A record's `created_at`.
 * @returns Nanoseconds since the epoch, or `undefined`.
 * @example
 * ```ts
 * import { tryParseTimestamp } from "./time.ts";
 * tryParseTimestamp("not a time"); // undefined
 * ```
 */
export function tryParseTimestamp(value: unknown): bigint | undefined {
  return typeof value === "string" ? tryParse(value) : undefined;
}

/**
 * Parses a time bound for `since`/`until`: an RFC 3339 timestamp, a date
 * (`2026-11-20`, UTC midnight), a `Date`, a duration ago such as `30m`,
 * `12h`, `7d`, `2w`, or a bound already parsed (nanoseconds since the
 * epoch, returned as is).
 *
 * @param value The bound.
 * @param now The reference time for durations (default: now).
 * @returns Nanoseconds since the epoch.
 * @throws {UsageError} (a `RangeError`) When the value is none of those forms.
 * @example
 * ```ts
 * import { parseTimeBound } from "./time.ts";
 * const twoWeeksAgo = parseTimeBound("2w");
 * ```
 */
export function parseTimeBound(
  value: string | Date | bigint,
  now: Date = new Date(),
): bigint {
  if (typeof value === "bigint") return value;
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) {
      throw new UsageError("Invalid date given as a time bound");
    }
    return BigInt(ms) * 1_000_000n;
  }
  const text = String(value).trim();
  const d = DURATION.exec(text);
  if (d !== null) {
    const ms = Math.round(Number(d[1]) * UNIT_MS[d[2]]);
    return BigInt(now.getTime() - ms) * 1_000_000n;
  }
  const t = tryParse(text);
  if (t === undefined) {
    throw new UsageError(
      `Invalid time ${
        JSON.stringify(text)
      }: expected RFC 3339 (2026-11-20T10:00:00Z), a date (2026-11-20) or a duration ago (30m, 12h, 7d, 2w)`,
    );
  }
  return t;
}

/**
 * Compares two timestamps as instants (unparsable ones sort first).
 *
 * @param a A timestamp.
 * @param b Another timestamp.
 * @returns Negative, zero or positive, as for `Array.prototype.sort`.
 * @example
 * ```ts
 * import { compareTimestamps } from "./time.ts";
 * compareTimestamps("2026-01-01T00:00:00+01:00", "2026-01-01T00:00:00Z") < 0; // true
 * ```
 */
export function compareTimestamps(a: unknown, b: unknown): number {
  const x = tryParseTimestamp(a), y = tryParseTimestamp(b);
  if (x === undefined) return y === undefined ? 0 : -1;
  if (y === undefined) return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}
