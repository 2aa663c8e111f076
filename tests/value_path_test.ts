import assert from "node:assert/strict";
import {
  canonicalPath,
  childPath,
  EVERY,
  formatPath,
  parsePath,
  quoteKey,
} from "../src/value_path.ts";

Deno.test("value paths: a key holding a dot is quoted and parses back as one key", () => {
  assert.equal(childPath("value", "val.acc"), 'value."val.acc"');
  assert.deepEqual(parsePath('value."val.acc"'), ["value", "val.acc"]);
  assert.deepEqual(parsePath("value.val.acc"), ["value", "val", "acc"]);
  assert.notEqual(childPath("value", "val.acc"), "value.val.acc");
});

Deno.test("value paths: [] is every list element, a key named [] is quoted", () => {
  assert.deepEqual(parsePath("value.h.[].l"), ["value", "h", EVERY, "l"]);
  assert.deepEqual(parsePath('value.h."[]".l'), ["value", "h", "[]", "l"]);
  assert.equal(quoteKey("[]"), '"[]"');
  assert.equal(formatPath(["value", "h", EVERY, "l"]), "value.h.[].l");
});

Deno.test("value paths: empty, spaced, quoted and control-character keys round-trip", () => {
  for (
    const key of ["", " a", "a b", 'say "hi"', "tab\there", "ünï", "a\\b", "0"]
  ) {
    const p = childPath("value", key);
    assert.deepEqual(parsePath(p), ["value", key], p);
    assert.equal(formatPath(parsePath(p)), p);
  }
});

Deno.test("value paths: malformed quoted keys are RangeErrors naming the path", () => {
  assert.throws(() => parsePath('value."acc'), /unterminated quoted key/);
  assert.throws(() => parsePath('value."a"b'), /expected a dot after/);
  assert.throws(() => parsePath("..."), RangeError);
  assert.equal(canonicalPath('value..metrics."acc".'), "value.metrics.acc");
});

Deno.test("value paths: backslashes, lone surrogates and display-unsafe characters are quoted as escapes, leaving only printable text", () => {
  const cases: [string, string][] = [
    ["C:\\data", 'value."C:\\\\data"'],
    ["\ud800", 'value."\\ud800"'],
    ["t\tk", 'value."t\\tk"'],
    ["a\u202eb", 'value."a\\u202eb"'],
    ["\u0085\u2028\ufeff", 'value."\\u0085\\u2028\\ufeff"'],
    ["\u{1f600}", "value.\u{1f600}"], // a surrogate pair is a character
  ];
  for (const [key, path] of cases) {
    assert.equal(childPath("value", key), path);
    assert.equal(formatPath(["value", key]), path);
    assert.deepEqual(parsePath(path), ["value", key]);
  }
  assert.equal(childPath("value", "acc"), "value.acc", "plain keys stay bare");
});
