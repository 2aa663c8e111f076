// The argument parser and help, in process: driven by the command definitions.
import {
  deepStrictEqual,
  ok,
  strictEqual as equal,
  throws,
} from "node:assert/strict";
import { COMMANDS, findCommand } from "../src/cli/command.ts";
import { documentedFlags, flagVariants } from "../src/cli/flags.ts";
import { checkPositionals, parseArgs, UsageError } from "../src/cli/parse.ts";
import { helpText, usageLine } from "../src/cli/help.ts";
import { cell, escapeText } from "../src/cli/format.ts";

function usage(args: string[], re: RegExp): void {
  throws(() => {
    const p = parseArgs(args);
    if (p.command) checkPositionals(p);
  }, (e: unknown) => e instanceof UsageError && re.test(e.message));
}

Deno.test("parse: command, positionals, global options anywhere", () => {
  const p = parseArgs([
    "--dir",
    "x",
    "values",
    "value.metrics.acc",
    "--json",
    "--run",
    "latest~1",
    "--limit",
    "5",
  ]);
  equal(p.command?.name, "values");
  deepStrictEqual(p.positionals, ["value.metrics.acc"]);
  deepStrictEqual(p.options, { run: "latest~1", limit: 5 });
  equal(p.global.dir, "x");
  equal(p.global.json, true);
  equal(p.global.strict, false);
});

Deno.test("parse: --opt=value and -h", () => {
  const p = parseArgs(["best", "value.acc", "--by=max", "--top=3", "-h"]);
  deepStrictEqual(p.options, { by: "max", top: 3 });
  equal(p.global.help, true);
});

Deno.test("parse: --where as three words, one word, one quoted phrase, repeatable", () => {
  const p = parseArgs([
    "runs",
    "--where",
    "metadata.hparams.lr",
    "<=",
    "0.01",
    "--where",
    "value.metrics.acc>0.9",
    "--where",
    "name ~ ^resnet",
    "--where=status=finished",
    "--where",
    "value.x",
    ">",
    "-1",
  ]);
  deepStrictEqual(p.options.where, [
    { path: "metadata.hparams.lr", op: "<=", value: "0.01" },
    { path: "value.metrics.acc", op: ">", value: "0.9" },
    { path: "name", op: "~", value: "^resnet" },
    { path: "status", op: "=", value: "finished" },
    { path: "value.x", op: ">", value: "-1" },
  ]);
});

Deno.test("parse: usage errors", () => {
  usage(["nope"], /unknown command "nope"/);
  usage(["runs", "--nope"], /unknown option --nope for runs/);
  usage(
    ["--since", "1d", "runs"],
    /unknown option --since \(command options go after the command\)/,
  );
  usage(["runs", "--limit", "0"], /--limit needs a positive integer/);
  usage(["runs", "--limit", "x"], /--limit needs a positive integer/);
  usage(["runs", "--limit"], /--limit needs a value N/);
  usage(
    ["best", "p", "--by", "median"],
    /--by must be one of last, first, max, min, mean/,
  );
  usage(["best", "p", "--max", "--min"], /exclude each other/);
  usage(
    ["best", "p", "--top", "1", "--top", "2"],
    /--top given more than once/,
  );
  usage(["runs", "--where", "metadata.lr"], /--where needs PATH OP VALUE/);
  usage(["runs", "--where", "a", "<>", "b"], /--where needs PATH OP VALUE/);
  usage(["runs", "--json=yes"], /--json takes no value/);
  usage(["show"], /show needs RUN/);
  usage(["compare", "a"], /compare needs RUN_B/);
  usage(["show", "a", "b"], /extra "b"/);
  usage(["runs", "x"], /takes no arguments/);
});

Deno.test("parse: -- ends options", () => {
  const p = parseArgs(["values", "--", "--weird"]);
  deepStrictEqual(p.positionals, ["--weird"]);
});

Deno.test("help: every command and option is in the help text", () => {
  const overview = helpText();
  for (const c of COMMANDS) {
    ok(overview.includes(`  ${c.name} `), c.name);
    const h = helpText(c);
    ok(h.includes(usageLine(c)));
    for (const o of c.options) {
      ok(h.includes(`--${o.name}`), `${c.name} --${o.name}`);
    }
    ok(
      h.includes(`Permissions (minimal deno run flags): ${documentedFlags(c)}`),
    );
  }
});

Deno.test("permissions: read-only commands need only read on the exprag dir", () => {
  for (const c of COMMANDS) {
    const { base, variants } = flagVariants(c);
    if (c.name === "skill") {
      deepStrictEqual(base, []);
      deepStrictEqual(variants, [{
        option: "--write .claude/skills/exprag/SKILL.md",
        flags: ["--allow-read=.claude", "--allow-write=.claude/skills/exprag"],
      }]);
    } else if (c.name === "export") {
      // it writes only the file --output names, created new
      deepStrictEqual(base, ["--allow-read=.exprag"]);
      deepStrictEqual(variants, [{
        option: "--output runs.csv",
        flags: [
          "--allow-read=.exprag",
          "--allow-read=runs.csv",
          "--allow-write=runs.csv",
        ],
      }]);
      equal(c.writes, true);
    } else if (c.name === "prune") {
      // a dry run reads; only --yes writes, the whole exprag directory
      deepStrictEqual(base, ["--allow-read=.exprag", "--allow-run=git"]);
      deepStrictEqual(variants, [{
        option: "--yes",
        flags: [...base, "--allow-write=.exprag"],
      }]);
    } else if (
      c.name === "checkout" || c.name === "diff" || c.name === "cat" ||
      c.name === "push"
    ) {
      deepStrictEqual(base, ["--allow-read=.exprag", "--allow-run=git"]);
    } else if (c.name === "pull") {
      deepStrictEqual(base, [
        "--allow-read=.exprag",
        "--allow-write=.exprag",
        "--allow-run=git",
      ]);
      equal(c.writes, true);
    } else if (c.name === "mcp") {
      // the server needs read; each tool checks its own command's flags
      deepStrictEqual(base, ["--allow-read=.exprag"]);
      equal(c.writes, true); // through note and tag
    } else if (c.name === "note" || c.name === "tag") {
      // they write only their notes directory
      deepStrictEqual(base, [
        "--allow-read=.exprag",
        "--allow-write=.exprag/notes",
      ]);
      equal(c.writes, true);
    } else {
      deepStrictEqual(base, ["--allow-read=.exprag"], c.name);
      equal(c.writes, false);
    }
  }
  deepStrictEqual(
    findCommand("runs")!.permissions({ dir: "/x/y", options: {} }),
    [{ name: "read", path: "/x/y" }],
  );
});

Deno.test("format: cells escape what could split rows or drive a terminal", () => {
  equal(
    escapeText("a\tb\nc\\d\r\x1b[31m\u202e"),
    "a\\tb\\nc\\\\d\\r\\x1b[31m\\u202e",
  );
  equal(cell(null), "");
  equal(cell("NaN"), "NaN");
  equal(cell(0.5), "0.5");
  equal(cell(false), "false");
  equal(cell({ a: "x\ty" }), '{"a":"x\\\\ty"}');
});

Deno.test("parse: -V is --version, before or after the command", () => {
  equal(parseArgs(["-V"]).global.version, true);
  equal(parseArgs(["runs", "-V"]).global.version, true);
  equal(parseArgs(["runs"]).global.version, false);
});

Deno.test("parse: tail takes RUN and any number of PATHs", () => {
  const p = parseArgs(["tail", "latest", "value.a", "value.b", "--follow"]);
  checkPositionals(p);
  deepStrictEqual(p.positionals, ["latest", "value.a", "value.b"]);
  equal(p.options.follow, true);
  checkPositionals(parseArgs(["tail", "latest"]));
  throws(() => checkPositionals(parseArgs(["tail"])), /tail needs RUN/);
  throws(
    () => parseArgs(["tail", "latest", "--timeout", "0"]),
    /--timeout needs a positive integer/,
  );
});
