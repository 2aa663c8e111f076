// Adversarial pass over the reader (issue 9): run files as real
// environments hold them — the Python exprag's exact shape with clocks in
// other offsets and at the ends of the calendar, mixed with ours; a run file
// replaced by rename (a sync tool) while `--strict` commands read it; a runs
// directory on a read-only mount; a run recorded on a host the reader cannot
// compare with its own; 10,000 runs. The CLI runs as a real process under
// the README's reading flags.
import assert from "node:assert/strict";
import { join } from "node:path";
import { formatRecord } from "../src/record.ts";
import {
  makeExprag,
  PYTHON_EXPRAG_VERSION,
  writeDenoRun,
  writePythonRun,
} from "./_cli_fixtures.ts";
import { exprag, sh } from "./_adversarial.ts";
import { tempDir } from "./_helpers.ts";

const READ = ["--allow-read=.exprag"];

/** A Python exprag file (sorted keys) whose records carry `created` times. */
function pythonRun(dir: string, id: string, created: string[]): void {
  const lines = created.map((at, i) =>
    formatRecord({
      created_at: at,
      elapsed_ms: i * 10,
      experiment_name: "py",
      exprag_version: PYTHON_EXPRAG_VERSION,
      kind: i === 0 ? "run_start" : "track",
      run_id: id,
      schema_version: 1,
      value: i === 0
        ? {
          git: { branch: "main", commit: "0".repeat(40), dirty: false },
          host: { hostname: "py-host", os: "linux" },
          process: { argv: ["python", "train.py"], cwd: "/", pid: 1, ppid: 0 },
        }
        : { acc: i / 10 },
    }, { keyOrder: "sorted" })
  );
  Deno.writeTextFileSync(
    join(dir, "runs", `${id}.jsonl`),
    lines.join("\n") + "\n",
  );
}

const id = (n: number) =>
  `${String(n).repeat(8)}-0000-4000-8000-00000000000${n}`;

Deno.test("Python files with clocks in other offsets, far future and past: ordered, filtered and ranked by instant", async () => {
  const root = tempDir("exprag-adv-clock-");
  const dir = makeExprag(root);
  // instants (UTC): 1 = 03:30, 2 = 09:00, 3 = 05:00, 4 = year 9999, 5 = year 1
  const clocks: [number, string, string][] = [
    [1, "2026-10-01T09:00:01.123456789+05:30", "2026-10-01T09:00:02.5+05:30"],
    [
      2,
      "2026-10-01T01:00:01.123456789-08:00",
      "2026-10-01T01:00:02.999999999-08:00",
    ],
    [3, "2026-10-01t05:00:01z", "2026-10-01t05:00:02.1z"],
    [
      4,
      "9999-12-31T23:59:58.999999999+00:00",
      "9999-12-31T23:59:59.999999999+00:00",
    ],
    [5, "0001-01-01T00:00:00+00:00", "0001-01-01T00:00:01+00:00"],
  ];
  for (const [n, ...created] of clocks) pythonRun(dir, id(n), created);
  writeDenoRun(dir, {
    id: id(6),
    start: new Date("2026-10-01T07:00:00Z"),
    tracks: [{ value: { acc: 0.05 } }],
    end: "finished",
  });
  const order = async (args: string[]) => {
    const c = await exprag(root, [...args, "--json", "--strict"], READ);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stderr, "");
    return (JSON.parse(c.stdout) as { id: string }[]).map((r) => r.id);
  };
  const newestFirst = [4, 2, 6, 3, 1, 5].map(id);
  assert.deepEqual(await order(["runs"]), newestFirst);
  assert.deepEqual(
    await order([
      "runs",
      "--since",
      "2026-10-01T04:00:00Z",
      "--until",
      "2026-10-01T08:00:00Z",
    ]),
    [6, 3].map(id),
  );
  assert.deepEqual(
    await order(["runs", "--where", "started_at > 2026-10-01T05:30:00+02:00"]),
    [4, 2, 6, 3, 1].map(id),
  );
  const latest = await exprag(root, ["show", "latest~1", "--json"], READ);
  assert.equal(JSON.parse(latest.stdout).run.id, id(2));
  const values = await exprag(root, [
    "values",
    "value.acc",
    "--json",
    "--strict",
  ], READ);
  assert.deepEqual(
    (JSON.parse(values.stdout) as { run_id: string }[]).map((v) => v.run_id),
    [5, 1, 3, 6, 2, 4].map(id),
  );
});

Deno.test("a run file replaced by rename while --strict commands read it: every answer is one version, never an error", async () => {
  const root = tempDir("exprag-adv-rename-");
  makeExprag(root);
  const src = makeExprag(tempDir("exprag-adv-rename-src-"));
  const run = "abcdef01-0000-4000-8000-000000000001";
  const tracks = Array.from({ length: 2000 }, (_, i) => ({
    value: { acc: i / 2000, pad: "p".repeat(200) },
  }));
  const file = (t: typeof tracks, end?: "finished") => {
    writeDenoRun(src, { id: run, tracks: t, end });
    return Deno.readFileSync(join(src, "runs", `${run}.jsonl`));
  };
  Deno.writeFileSync(join(root, "a"), file(tracks.slice(0, 1000)));
  Deno.writeFileSync(join(root, "b"), file(tracks, "finished"));
  const dst = `.exprag/runs/${run}.jsonl`;
  Deno.copyFileSync(join(root, "a"), join(root, dst));
  const swapper = new Deno.Command("bash", {
    args: [
      "-c",
      `while :; do cp b .exprag/t && mv -f .exprag/t ${dst}; cp a .exprag/t && mv -f .exprag/t ${dst}; done`,
    ],
    cwd: root,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const bad: string[] = [];
  let n = 0;
  try {
    const until = Date.now() + 4000;
    while (Date.now() < until || n < 10) {
      for (
        const args of [["runs"], ["best", "value.acc"], [
          "best",
          "value.acc",
          "--by",
          "max",
        ], ["show", run]]
      ) {
        const c = await exprag(root, [...args, "--json", "--strict"], READ);
        n++;
        if (c.code !== 0 || c.stderr !== "") {
          bad.push(`${args.join(" ")}: ${c.code} ${c.stderr}`);
          continue;
        }
        const j = JSON.parse(c.stdout);
        const one = args[0] === "best"
          ? j.rows?.[0] ?? j[0]
          : Array.isArray(j)
          ? j[0]
          : j;
        const pair = args[0] === "best"
          ? [one.value]
          : [one.status ?? one.run?.status, one.records ?? one.run?.records];
        const ok = args[0] === "best"
          ? [999 / 2000, 1999 / 2000].includes(pair[0])
          : (pair[0] === "finished" && pair[1] === 2000) ||
            (pair[0] === "crashed" && pair[1] === 1000);
        if (!ok) {
          bad.push(`${args.join(" ")}: mixed versions ${JSON.stringify(pair)}`);
        }
      }
    }
  } finally {
    swapper.kill("SIGKILL");
    await swapper.status;
  }
  assert.deepEqual(bad, [], `${bad.length} of ${n}`);
});

Deno.test("a Deno run recorded on a host the reader cannot compare (no --allow-sys=hostname): crashed says so", async () => {
  const root = tempDir("exprag-adv-host-");
  const dir = makeExprag(root);
  const run = writeDenoRun(dir, { tracks: [{ value: { acc: 1 } }] });
  const c = await exprag(root, ["show", run, "--json"], READ);
  const shown = JSON.parse(c.stdout).run;
  assert.equal(shown.status, "crashed");
  assert.match(shown.status_reason, /deno-host-elsewhere/);
  assert.match(shown.status_reason, /--allow-sys=hostname/);
  // with the hostname granted, another host's run is unknown, not crashed
  const h = await exprag(root, ["show", run, "--json"], [
    ...READ,
    "--allow-sys=hostname",
  ]);
  assert.equal(JSON.parse(h.stdout).run.status, "unknown");
});

function canBindReadOnly(): boolean {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  const probe = tempDir("exprag-adv-mnt-probe-");
  const o = new Deno.Command("bash", {
    args: [
      "-c",
      `mount --bind "${probe}" "${probe}" && mount -o remount,bind,ro "${probe}" && umount "${probe}"`,
    ],
    stdout: "null",
    stderr: "null",
  }).outputSync();
  return o.success;
}

Deno.test({
  name:
    "the runs directory on a read-only mount: statuses (running via the lock too) and a clear error for note",
  ignore: !canBindReadOnly(),
  fn: async () => {
    const src = tempDir("exprag-adv-rosrc-");
    const ro = tempDir("exprag-adv-ro-");
    const dir = makeExprag(src);
    const done = writeDenoRun(dir, {
      tracks: [{ value: { acc: 0.5 } }],
      end: "finished",
    });
    const py = writePythonRun(dir, { tracks: [{ value: { acc: 0.7 } }] });
    const script = join(tempDir("exprag-adv-live-"), "live.ts");
    Deno.writeTextFileSync(
      script,
      `import { Experiment } from ${
        JSON.stringify(
          new URL("../src/tracker/experiment.ts", import.meta.url).href,
        )
      };
const e = new Experiment("live", { git: false }); e.track({ acc: 0.1 }); console.log(e.runId);
await new Promise((r) => setTimeout(r, 60_000));`,
    );
    const live = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--no-config",
        "--allow-write=.exprag",
        script,
      ],
      cwd: src,
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = live.stdout.getReader();
    const liveId = new TextDecoder().decode((await reader.read()).value).trim();
    reader.releaseLock();
    sh(ro, `mount --bind "${src}" "${ro}" && mount -o remount,bind,ro "${ro}"`);
    try {
      const c = await exprag(ro, ["runs", "--json", "--strict"], READ);
      assert.equal(c.code, 0, c.stderr);
      const status = Object.fromEntries(
        (JSON.parse(c.stdout) as { id: string; status: string }[]).map((
          r,
        ) => [r.id, r.status]),
      );
      assert.deepEqual(status, {
        [liveId]: "running",
        [done]: "finished",
        [py]: "unknown",
      });
      const n = await exprag(ro, ["note", done, "x"], [
        ...READ,
        "--allow-write=.exprag/notes",
      ]);
      assert.equal(n.code, 1);
      assert.match(n.stderr, /^exprag: .*[Rr]ead-only file system.*\n$/);
    } finally {
      live.kill("SIGKILL");
      await live.status;
      sh(ro, `umount -l "${ro}"`);
    }
  },
});

Deno.test("10,000 runs, Python and ours mixed: latest~9999, best and since are exact", async () => {
  const root = tempDir("exprag-adv-10k-");
  const dir = makeExprag(root);
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  const ids: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const r = {
      start: new Date(t0 + i * 1000),
      tracks: [{ value: { acc: (i * 7919 % 10_000) / 10_000 } }],
    };
    ids.push(
      i % 2
        ? writePythonRun(dir, r)
        : writeDenoRun(dir, { ...r, end: i % 4 ? undefined : "finished" }),
    );
  }
  const best = ids[
    [...ids.keys()].reduce(
      (a, i) => (i * 7919 % 10_000) > (a * 7919 % 10_000) ? i : a,
      0,
    )
  ];
  const json = async (args: string[]) => {
    const c = await exprag(root, [...args, "--json", "--strict"], READ);
    assert.equal(c.code, 0, c.stderr);
    return JSON.parse(c.stdout);
  };
  assert.equal((await json(["show", "latest~9999"])).run.id, ids[0]);
  assert.equal((await json(["show", "latest"])).run.id, ids[9999]);
  const b = await json(["best", "value.acc", "--by", "max", "--status", "any"]);
  assert.equal(b.rows[0].run.id, best);
  const since = await json([
    "runs",
    "--since",
    new Date(t0 + 9990 * 1000).toISOString(),
  ]);
  assert.equal(since.length, 10);
});

Deno.test("sync-conflict and editor copies of a run file: the file named after the run wins, copies are reported, none counted twice", async () => {
  const root = tempDir("exprag-adv-conflict-");
  const dir = makeExprag(root);
  const run = writeDenoRun(dir, {
    tracks: [{ value: { acc: 0.9 } }, { value: { acc: 0.95 } }],
    end: "finished",
  });
  const conflicts = [
    `${run}.sync-conflict-20261001-120000-ABCDEFG.jsonl`, // Syncthing
    `${run} (conflicted copy 2026-10-01).jsonl`, // Dropbox
  ];
  for (const file of conflicts) {
    writeDenoRun(dir, { id: run, tracks: [{ value: { acc: 0.1 } }], file });
  }
  const py = writePythonRun(dir, { tracks: [{ value: { acc: 0.5 } }] });
  for (const file of [`${py}.jsonl~`, `.${py}.jsonl.swp`]) {
    writePythonRun(dir, { id: py, tracks: [{ value: { acc: 0.99 } }], file });
  }
  const c = await exprag(root, ["values", "value.acc", "--json"], READ);
  assert.equal(c.code, 0, c.stderr);
  assert.deepEqual(
    (JSON.parse(c.stdout) as { value: number }[]).map((v) => v.value),
    [0.9, 0.95, 0.5],
  );
  for (const file of conflicts) {
    assert.ok(c.stderr.includes(`${file}:1: run id ${run} also in`), c.stderr);
  }
  const b = await exprag(
    root,
    ["best", "value.acc", "--json", "--top", "5", "--status", "any"],
    READ,
  );
  assert.deepEqual(
    (JSON.parse(b.stdout).rows as { run: { id: string } }[]).map((r) =>
      r.run.id
    ),
    [run, py],
  );
});
