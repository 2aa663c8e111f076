// `deno task bench`: runs every comparison (each section in its own child
// process, one after the other) and prints one results table per section,
// the target checks, and the machine it ran on.
//
//   deno task bench                 full run (2k and 20k-file repositories)
//   deno task bench --big           also the 100k-file repository
//   deno task bench --smoke         tiny and fast (CI): same tables, small data
//   deno task bench --only=track,query   some sections only
//   options passed on to sections: --rounds=N --keep-data --no-profile
//   --json=PATH writes the raw results; --md=PATH writes the markdown.
import {
  FLAGS,
  fmt,
  loadText,
  log,
  runSection,
  type Section,
  sh,
  SMOKE,
} from "./lib.ts";

const ALL = ["track", "start", "query", "cli", "memory", "sync"];
const only = typeof FLAGS.only === "string" ? FLAGS.only.split(",") : ALL;

const pass: string[] = [];
if (SMOKE) pass.push("--smoke");
for (const k of ["rounds", "keep-data", "no-profile"]) {
  if (FLAGS[k] === true) pass.push(`--${k}`);
  else if (typeof FLAGS[k] === "string") pass.push(`--${k}=${FLAGS[k]}`);
}

const FILES: Record<string, [string, string[]]> = {
  track: ["track.ts", []],
  start: [
    "start.ts",
    typeof FLAGS.sizes === "string"
      ? [`--sizes=${FLAGS.sizes}`]
      : FLAGS.big
      ? ["--sizes=2000,20000,100000"]
      : [],
  ],
  query: ["query.ts", []],
  cli: ["cli_start.ts", []],
  memory: ["memory.ts", []],
  sync: ["sync.ts", []],
};

/** A short description of the machine, for the docs. */
export function machine(): Record<string, string> {
  const m: Record<string, string> = {};
  try {
    const cpu = Deno.readTextFileSync("/proc/cpuinfo").match(
      /model name\s*:\s*(.+)/,
    );
    if (cpu) m.cpu = cpu[1].trim();
  } catch { /* not linux */ }
  m.cores = String(navigator.hardwareConcurrency);
  try {
    const mem = Deno.readTextFileSync("/proc/meminfo").match(
      /MemTotal:\s+(\d+) kB/,
    );
    if (mem) m.memory = `${(Number(mem[1]) / 1024 / 1024).toFixed(1)} GiB`;
  } catch { /* not linux */ }
  m.os = `${Deno.build.os} ${Deno.osRelease()}`;
  m.deno = Deno.version.deno;
  m.v8 = Deno.version.v8;
  try {
    m.git = sh("git", ["--version"]).trim().replace("git version ", "");
  } catch { /* no git */ }
  try {
    m.jq = sh("jq", ["--version"]).trim();
  } catch { /* no jq */ }
  m.date = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  return m;
}

/** Renders one section as markdown. */
export function renderSection(s: Section): string {
  const out: string[] = [`### ${s.title}`, ""];
  out.push(`| case | ${s.columns.join(" | ")} |`);
  out.push(`|---|${s.columns.map(() => "---:").join("|")}|`);
  for (const r of s.rows) {
    const name = r.role === "ours" ? `**${r.name}**` : r.name;
    if (r.missing) {
      out.push(
        `| ${name} | ${
          s.columns.map((_, i) => i === 0 ? `n/a: ${r.missing}` : "").join(
            " | ",
          )
        } |`,
      );
    } else {
      out.push(
        `| ${name} | ${
          s.columns.map((c) => fmt(r.cells[c] ?? null)).join(" | ")
        } |`,
      );
    }
  }
  out.push("");
  for (const t of s.targets) out.push(`- ${renderTarget(t)}`);
  out.push("");
  for (const n of s.notes) out.push(`> ${n}  `);
  out.push("");
  return out.join("\n");
}

function renderTarget(t: Section["targets"][number]): string {
  const mark = t.met === null
    ? (t.value === null ? "– not measured" : "– not judged (smoke)")
    : t.met
    ? "✅ met"
    : "❌ missed";
  const u = t.unit ?? "×";
  const v = t.value === null ? "–" : `${fmt(t.value)}${u}`;
  return `${mark}: ${t.text} — measured ${v} (limit ${t.op} ${t.limit}${u})`;
}

const LOAD_AT_START = loadText();

if (import.meta.main) {
  const t0 = performance.now();
  const sections: Section[] = [];
  const failures: string[] = [];
  for (const id of only) {
    if (!FILES[id]) {
      log(`unknown section ${id} (known: ${ALL.join(", ")})`);
      Deno.exit(2);
    }
    const [file, extra] = FILES[id];
    log(`== ${id} (bench/${file})`);
    const s0 = performance.now();
    const load0 = loadText();
    try {
      const s = await runSection(file, [...pass, ...extra]);
      s.notes.push(
        `Load averages (1, 5, 15 min): ${load0} when the section started, ${loadText()} when it ended (${navigator.hardwareConcurrency} cores).`,
      );
      sections.push(s);
    } catch (e) {
      failures.push(`${id}: ${(e as Error).message}`);
    }
    log(`== ${id} done in ${((performance.now() - s0) / 1000).toFixed(1)} s`);
  }
  const m = machine();
  const md: string[] = [
    `## exprag for Deno — benchmark results${
      SMOKE ? " (smoke: tiny data, numbers not meaningful)" : ""
    }`,
    "",
    `Machine: ${m.cpu ?? "?"}, ${m.cores} cores, ${
      m.memory ?? "?"
    } RAM, ${m.os}; Deno ${m.deno} (V8 ${m.v8}), git ${m.git ?? "–"}, ${
      m.jq ?? "no jq"
    }. Date: ${m.date}. Load averages (1, 5, 15 min) at the start: ${LOAD_AT_START}.`,
    `Command: \`deno task bench ${Deno.args.join(" ")}\`.`.replace(" `.", "`."),
    "",
  ];
  for (const s of sections) md.push(renderSection(s));
  md.push(
    "### Targets",
    "",
    "| target | measured | limit | status |",
    "|---|---:|---:|---|",
  );
  for (const s of sections) {
    for (const t of s.targets) {
      const u = t.unit ?? "×";
      md.push(
        `| ${t.text} | ${
          t.value === null ? "–" : fmt(t.value) + u
        } | ${t.op} ${t.limit}${u} | ${
          t.met === null
            ? (t.value === null ? "not measured" : "not judged (smoke)")
            : t.met
            ? "met"
            : "missed"
        } |`,
      );
    }
  }
  md.push(
    "",
    `Total bench time: ${((performance.now() - t0) / 1000).toFixed(0)} s.`,
  );
  for (const f of failures) md.push("", `FAILED section ${f}`);
  const text = md.join("\n");
  console.log(text);
  if (typeof FLAGS.md === "string") {
    Deno.writeTextFileSync(FLAGS.md, text + "\n");
  }
  if (typeof FLAGS.json === "string") {
    Deno.writeTextFileSync(
      FLAGS.json,
      JSON.stringify(
        { machine: m, args: Deno.args, sections, failures },
        null,
        2,
      ),
    );
  }
  if (failures.length) Deno.exit(1);
}
