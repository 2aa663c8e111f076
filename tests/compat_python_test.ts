// Our run files must stay readable by anything that reads the Python exprag's
// schema_version 1. This test reads a real run (NaN, nested lists, a snapshot,
// a failed end) with a Python 3 reader written the way exprag's own skill
// helpers read files: json.loads per line, datetime.fromisoformat for
// created_at, dotted value paths with `[]` for list elements.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  hasCommand,
  makeRepo,
  MOD_URL,
  run,
  runFiles,
  runScript,
} from "./_helpers.ts";

const PY_READER = String.raw`
import json, sys
from datetime import datetime, timezone
from pathlib import Path

def strict_constant(name):
    raise ValueError("non-standard JSON constant " + name)

out = {"runs": {}, "paths": {}}
for path in sorted(Path(sys.argv[1]).glob("*.jsonl")):
    with path.open("r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line:
                continue
            record = json.loads(line, parse_constant=strict_constant)
            assert isinstance(record, dict), f"{path}:{number}: not an object"
            assert record["schema_version"] == 1
            for key in ("run_id", "experiment_name", "kind", "created_at", "elapsed_ms", "value"):
                assert key in record, f"{path}:{number}: missing {key}"
            text = record["created_at"]
            if text.endswith("Z"):
                text = text[:-1] + "+00:00"
            when = datetime.fromisoformat(text)
            assert when.tzinfo is not None and when.utcoffset().total_seconds() == 0
            assert isinstance(record["elapsed_ms"], int)
            run = out["runs"].setdefault(record["run_id"], {"kinds": [], "name": record["experiment_name"]})
            run["kinds"].append(record["kind"])
            if record["kind"] == "run_start":
                git = record["value"]["git"]
                run["git"] = {k: git[k] for k in ("commit", "branch", "dirty", "status")} if git else None
                run["metadata"] = record["value"].get("metadata")
            if record["kind"] != "track":
                continue
            def visit(value, parts):
                if isinstance(value, dict):
                    for key, nested in value.items():
                        visit(nested, parts + [str(key)])
                elif isinstance(value, list):
                    for nested in value:
                        visit(nested, parts + ["[]"])
                else:
                    out["paths"].setdefault(".".join(parts), []).append(value)
            visit(record["value"], ["value"])
print(json.dumps(out))
`;

function python(): string | null {
  return ["python3", "python"].find(hasCommand) ?? null;
}

const PY = python();

Deno.test({
  name:
    "a Python exprag-style reader reads our run files: strict JSON, times, paths, git state",
  ignore: PY === null,
  async fn() {
    const repo = makeRepo({ "train.py": "print(1)\n" });
    Deno.writeTextFileSync(join(repo, "train.py"), "print(2)\n"); // dirty: a snapshot
    const out = await runScript(
      repo,
      `import { Experiment } from "${MOD_URL}";
const exp = new Experiment("compat", { metadata: { hparams: { lr: 0.1, batch_size: 32 } } });
exp.track({ step: 0, metrics: { loss: NaN, acc: 0.5 }, hist: [1, 2] }, { note: "first" });
exp.track({ step: 1, metrics: { loss: Infinity, acc: 0.75 }, hist: [3] });
exp.end({ error: new Error("diverged") });
`,
      ["--allow-write=.exprag", "--allow-read=.", "--allow-run=git"],
    );
    assert.equal(out.code, 0, out.stderr);
    const [file] = runFiles(join(repo, ".exprag"));
    assert.ok(file);
    const py = await run(PY!, ["-c", PY_READER, join(repo, ".exprag", "runs")]);
    assert.equal(py.code, 0, py.stderr);
    const seen = JSON.parse(py.stdout);
    const runs = Object.values(seen.runs) as {
      kinds: string[];
      name: string;
      git: { commit: string; branch: string; dirty: boolean; status: string };
      metadata: unknown;
    }[];
    assert.equal(runs.length, 1);
    assert.deepEqual(runs[0].kinds, ["run_start", "track", "track", "run_end"]);
    assert.equal(runs[0].name, "compat");
    assert.deepEqual(runs[0].metadata, {
      hparams: { lr: 0.1, batch_size: 32 },
    });
    assert.equal(runs[0].git.dirty, true);
    assert.match(runs[0].git.branch, /^run\/[0-9a-f-]{36}$/);
    assert.match(runs[0].git.status, /train\.py/);
    assert.deepEqual(seen.paths["value.metrics.loss"], ["NaN", "Infinity"]);
    assert.deepEqual(seen.paths["value.metrics.acc"], [0.5, 0.75]);
    assert.deepEqual(seen.paths["value.hist.[]"], [1, 2, 3]);
    // The branch the Python README tells agents to check out exists and holds the edit.
    const show = await run("git", ["show", `${runs[0].git.branch}:train.py`], {
      cwd: repo,
    });
    assert.equal(show.stdout, "print(2)\n");
  },
});
