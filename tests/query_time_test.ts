// Reading API: timestamps compared as instants.
import { ok, strictEqual as is, throws } from "node:assert/strict";
import {
  compareTimestamps,
  listRuns,
  parseTimeBound,
  parseTimestamp,
  tryParseTimestamp,
} from "../mod.ts";
import {
  expragDir,
  writeDenoRun,
  writePythonRun,
} from "./query_fixtures_test.ts";

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
