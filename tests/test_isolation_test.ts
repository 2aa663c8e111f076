// `deno test --parallel` runs test modules side by side in one process (one
// working directory, one environment): a module that changes either may
// send another module's git to the wrong repository (seen: the index-cache
// property test failed while the sync tests ran in a repository of theirs).
// Such modules run alone, in the task's second `deno test`.
import { deepStrictEqual as deepEqual, ok } from "node:assert/strict";

const root = new URL("..", import.meta.url);
const task: string = JSON.parse(
  Deno.readTextFileSync(new URL("deno.json", root)),
).tasks.test;

Deno.test("deno task test runs the modules that change the working directory or environment alone, after the parallel run", () => {
  const [parallel, serial] = task.split(" && ");
  ok(parallel.includes("--parallel") && serial !== undefined, task);
  ok(!serial.includes("--parallel"), serial);
  const ignored = /--ignore=(\S+)/.exec(parallel)?.[1].split(",") ?? [];
  const alone = serial.split(" ").filter((w) => w.endsWith("_test.ts"));
  deepEqual(ignored.sort(), [...alone].sort(), "the same modules both ways");
  const changes = /Deno\.chdir\(|Deno\.env\.(set|delete)\(|\binRepo\(/;
  const found: string[] = [];
  for (const e of Deno.readDirSync(new URL("tests/", root))) {
    if (!e.name.endsWith("_test.ts") || e.name === "test_isolation_test.ts") {
      continue;
    }
    const text = Deno.readTextFileSync(new URL(`tests/${e.name}`, root));
    if (changes.test(text)) found.push(`tests/${e.name}`);
  }
  deepEqual(found.sort(), [...alone].sort());
});
