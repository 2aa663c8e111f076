// The porcelain-v2 status parser (src/git/status.ts) and git's path quoting
// (src/git/quote.ts), on byte strings: no git needed.
import assert from "node:assert/strict";
import { capStatus, parseStatus, STATUS_MAX_BYTES } from "../src/git/status.ts";
import { concatBytes, cQuote, pathText } from "../src/git/quote.ts";

const enc = new TextEncoder();

/** Joins byte/text parts (each entry NUL-terminated) as git status -z prints them. */
function z(...entries: (string | Uint8Array)[]): Uint8Array {
  const parts = entries.flatMap((e) => [
    typeof e === "string" ? enc.encode(e) : e,
    new Uint8Array([0]),
  ]);
  return concatBytes(parts);
}

function bytes(...parts: (string | number[])[]): Uint8Array {
  return new Uint8Array(
    parts.flatMap((p) => typeof p === "string" ? [...enc.encode(p)] : p),
  );
}

const H = "0123456789abcdef0123456789abcdef01234567";

Deno.test("status headers: HEAD and branch; unborn and detached are null", () => {
  let s = parseStatus(z(`# branch.oid ${H}`, "# branch.head main"));
  assert.equal(s.head, H);
  assert.equal(s.branch, "main");
  assert.deepEqual(s.lines, []);
  s = parseStatus(
    z(
      "# branch.oid (initial)",
      "# branch.head (detached)",
      "# branch.ab +1 -0",
    ),
  );
  assert.equal(s.head, null);
  assert.equal(s.branch, null);
});

Deno.test("status entries become v1 lines: tracked in path order (unmerged sorted in), untracked last", () => {
  const s = parseStatus(z(
    `# branch.oid ${H}`,
    "# branch.head main",
    `1 .M N... 100644 100644 100644 ${H} ${H} b.txt`,
    `1 A. N... 000000 100644 100644 ${H} ${H} with space.txt`,
    `2 R. N... 100644 100644 100644 ${H} ${H} R100 new name.txt`,
    "old name.txt",
    `u UU N... 100644 100644 100644 100644 ${H} ${H} ${H} a-conflict.txt`,
    "? new/untracked.txt",
    "? nested/",
  ));
  assert.deepEqual(s.lines, [
    "UU a-conflict.txt",
    " M b.txt",
    'R  "old name.txt" -> "new name.txt"',
    'A  "with space.txt"',
    "?? new/untracked.txt",
    "?? nested/",
  ]);
  assert.deepEqual(
    s.changes.map((
      c,
    ) => [c.x, c.y, pathText(c.path), c.orig && pathText(c.orig)]),
    [
      [".", "M", "b.txt", undefined],
      ["A", ".", "with space.txt", undefined],
      ["R", ".", "new name.txt", "old name.txt"],
      ["U", "U", "a-conflict.txt", undefined],
    ],
  );
  assert.deepEqual(s.untracked.map(pathText), ["new/untracked.txt", "nested/"]);
});

Deno.test("paths stay bytes: a name that is not UTF-8 is kept exactly and shown C-quoted as git does", () => {
  const bad = bytes("d/", [0xff, 0xfe], ".txt");
  assert.deepEqual(parseStatus(new Uint8Array()).lines, []);
  const entry = bytes(`1 .D N... 100644 100644 000000 ${H} ${H} `, [...bad]);
  const t = parseStatus(z(entry, bytes("? ", [...bad, 0x21])));
  assert.deepEqual(t.changes[0].path, bad);
  assert.deepEqual(t.untracked[0], bytes([...bad, 0x21]));
  assert.deepEqual(t.lines, [
    ' D "d/\\377\\376.txt"',
    '?? "d/\\377\\376.txt!"',
  ]);
  // quoting: control chars, quote, backslash, non-ASCII as octal; valid UTF-8 shown as text
  assert.equal(cQuote(bytes('a"b\\c\td')), '"a\\"b\\\\c\\td"');
  assert.equal(cQuote(bytes("é")), '"\\303\\251"');
  assert.equal(pathText(bytes("é")), "é");
  assert.equal(pathText(bad), '"d/\\377\\376.txt"');
  assert.equal(cQuote(bytes("a b")), "a b");
  assert.equal(cQuote(bytes("a b"), true), '"a b"');
});

Deno.test("status text is capped at 64 KiB on a line boundary, counting the lines left out", () => {
  const line = "?? " + "x".repeat(1000);
  const lines = Array.from({ length: 100 }, () => line);
  const { status, truncated, omitted } = capStatus(lines);
  assert.equal(truncated, true);
  assert.ok(status.length <= STATUS_MAX_BYTES);
  assert.ok(status.endsWith("\n"));
  const kept = Math.floor(STATUS_MAX_BYTES / 1004);
  assert.equal(status.split("\n").length - 1, kept);
  assert.equal(omitted, 100 - kept);
  assert.deepEqual(capStatus(["?? a"]), {
    status: "?? a\n",
    truncated: false,
    omitted: 0,
  });
});
