// Reading API: timestamps compared as instants.
import { ok, strictEqual as is, throws } from "node:assert/strict";
import { listRuns } from "../mod.ts";
import {
  compareTimestamps,
  parseTimeBound,
  parseTimestamp,
  tryParseTimestamp,
} from "../src/query/time.ts";
import { expragDir, writeDenoRun, writePythonRun } from "./_query_fixtures.ts";

Deno.test("time: nanoseconds, Z and offsets compare as instants", () => {
  is(
    parseTimestamp("2026-11-20T10:11:12.123456789+00:00"),
    1795169472123456789n,
  );
  is(
    parseTimestamp("2026-11-20T10:11:12.123456789Z"),
    parseTimestamp("2026-11-20T10:11:12.123456789+00:00"),
  );
  is(
    parseTimestamp("2026-11-20T11:11:12.5+01:00"),
    parseTimestamp("2026-11-20T10:11:12.500Z"),
  );
  is(
    parseTimestamp("2026-11-20T05:41:12-04:30"),
    parseTimestamp("2026-11-20T10:11:12Z"),
  );
  is(
    parseTimestamp("2026-11-20t10:11:12z"),
    parseTimestamp("2026-11-20T10:11:12Z"),
  );
  is(parseTimestamp("2026-11-20"), parseTimestamp("2026-11-20T00:00:00Z"));
  is(
    parseTimestamp("2026-11-20T10:11:12"),
    parseTimestamp("2026-11-20T10:11:12Z"),
  ); // naive = UTC
  // one nanosecond apart, equal in milliseconds
  ok(
    parseTimestamp("2026-11-20T10:11:12.123000001Z") >
      parseTimestamp("2026-11-20T10:11:12.123Z"),
  );
  // string order would say the opposite
  ok("2026-11-20T10:00:00+01:00" > "2026-11-20T09:30:00Z");
  ok(
    compareTimestamps("2026-11-20T10:00:00+01:00", "2026-11-20T09:30:00Z") < 0,
  );
  is(
    compareTimestamps("2026-11-20T10:00:00.000000000Z", "2026-11-20T10:00:00Z"),
    0,
  );
});

Deno.test("time: invalid timestamps are RangeErrors quoting the value", () => {
  for (
    const bad of [
      "",
      "yesterday",
      "2026-13-01",
      "2026-02-30T00:00:00Z",
      "2026-11-20T25:00:00Z",
      "2026-11-20T10:00:00.1234567890Z",
    ]
  ) {
    throws(
      () => parseTimestamp(bad),
      (e: Error) =>
        e instanceof RangeError && e.message.includes(JSON.stringify(bad)) &&
        !e.message.includes("\n"),
    );
    is(tryParseTimestamp(bad), undefined);
  }
  is(tryParseTimestamp(42), undefined);
});

Deno.test("time: bounds accept durations ago and dates", () => {
  const now = new Date("2026-11-20T12:00:00Z");
  is(parseTimeBound("2h", now), parseTimestamp("2026-11-20T10:00:00Z"));
  is(parseTimeBound("7d", now), parseTimestamp("2026-11-13T12:00:00Z"));
  is(parseTimeBound("2w", now), parseTimestamp("2026-11-06T12:00:00Z"));
  is(parseTimeBound("30m", now), parseTimestamp("2026-11-20T11:30:00Z"));
  is(
    parseTimeBound(new Date("2026-01-01T00:00:00Z")),
    parseTimestamp("2026-01-01"),
  );
  throws(() => parseTimeBound("soon"), RangeError);
});

Deno.test("time: since/until filter runs by start instant across shapes", async () => {
  const dir = expragDir();
  const a = writePythonRun(dir, { start: "2026-11-20T09:00:00Z" });
  const b = writeDenoRun(dir, { start: "2026-11-20T09:30:00Z" });
  const c = writePythonRun(dir, { start: "2026-11-20T10:30:00Z" });
  const ids = async (since?: string, until?: string) =>
    (await listRuns({ dir, since, until })).map((r) => r.id);
  const all = await ids();
  is(all.join(), [a.id, b.id, c.id].join()); // oldest first, by instant
  is((await ids("2026-11-20T10:15:00+01:00")).join(), [b.id, c.id].join()); // = 09:15Z
  is(
    (await ids(undefined, "2026-11-20T09:30:00.000000000+00:00")).join(),
    [a.id, b.id].join(),
  ); // inclusive
  is(
    (await listRuns({ dir, limit: 2 })).map((r) => r.id).join(),
    [b.id, c.id].join(),
  ); // newest 2
});

Deno.test("time: the fast path for toISOString's form agrees with the general parser", () => {
  let seed = 11;
  const r = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const two = (n: number) => String(n).padStart(2, "0");
  const samples: string[] = [
    "2026-11-20T10:11:12.123Z",
    "2026-02-29T00:00:00.000Z", // not a leap year: invalid
    "2024-02-29T23:59:59.999Z",
    "2026-02-30T00:00:00.000Z",
    "2026-04-31T00:00:00.000Z",
    "2026-12-31T23:59:60.500Z", // leap second: accepted, rolls over
    "2026-01-01T24:00:00.000Z",
    "2026-00-10T00:00:00.000Z",
    "2026-13-10T00:00:00.000Z",
    "0000-01-01T00:00:00.000Z",
    "0099-06-15T12:00:00.000Z",
    "9999-12-31T23:59:59.999Z",
    "2026-1a-01T00:00:00.000Z",
    "2026-11-20 10:11:12.123Z",
    "2026-11-20T10:11:12,123Z",
    "+02026-11-20T10:11:12.1Z",
  ];
  for (let i = 0; i < 3000; i++) {
    const y = Math.floor(r() * 10000);
    const mo = Math.floor(r() * 14), d = Math.floor(r() * 33);
    const h = Math.floor(r() * 26), mi = Math.floor(r() * 61);
    const s = Math.floor(r() * 62), ms = Math.floor(r() * 1000);
    samples.push(
      `${String(y).padStart(4, "0")}-${two(mo)}-${two(d)}T${two(h)}:${
        two(mi)
      }:${two(s)}.${String(ms).padStart(3, "0")}Z`,
    );
  }
  // one character changed: never read as something the general parser rejects
  const chars = "/:0aZzT t.,-+X\u0660";
  for (let i = 0; i < 3000; i++) {
    const t = samples[i % 200];
    const at = Math.floor(r() * 24);
    const c = chars[Math.floor(r() * chars.length)];
    samples.push(t.slice(0, at) + c + t.slice(at + 1));
  }
  let valid = 0;
  for (const t of samples) {
    // the same instant in forms only the general (RegExp) parser reads
    const general = [
      t.slice(0, 10) + (t[10] === "T" ? "t" : t[10]) + t.slice(11),
      t.endsWith("Z") ? t.slice(0, -1) + "+00:00" : " " + t,
      t.replace(/\.(\d{3})Z$/, ".$1000000Z"),
    ];
    // the general parser alone (a 25-character string never takes the fast path)
    const fast = tryParseTimestamp(t);
    is(tryParseTimestamp(t + " "), fast, `${t} (general)`);
    for (const g of general) {
      is(tryParseTimestamp(g), fast, `${t} vs ${g}`);
    }
    if (fast !== undefined) {
      valid++;
      // what Date.parse says too, where it reads the time at all (it has
      // no leap second, and the general path takes years 0-99 as 19xx)
      const ms = Date.parse(t);
      if (ms === ms && t >= "0100") is(fast, BigInt(ms) * 1_000_000n, t);
      is(compareTimestamps(t, general[1]), 0);
    }
  }
  ok(valid > 1000);
});
