// Summarizes a V8 .cpuprofile (written by `deno run --cpu-prof`): the
// functions with the most self time, and self time grouped by area (our
// source files, Deno's runtime, V8 builtins, GC).

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One entry of a summary: a name and its share of sampled time. */
export interface Share {
  name: string;
  pct: number;
}

/** What {@linkcode summarizeProfile} returns. */
export interface ProfileSummary {
  /** Functions by self time, largest first. */
  top: Share[];
  /** Self time by area (file or runtime part), largest first. */
  areas: Share[];
  /** Inclusive time of our source files' top-level entry points. */
  totalMs: number;
}

function _short(url: string): string {
  if (!url) return "";
  const i = url.lastIndexOf("/");
  return i >= 0 ? url.slice(i + 1) : url;
}

/** Readable names of the Deno ops that show up in our profiles. */
const OPS: Record<string, string> = {
  op_write_sync: "write(2) syscall (op_write_sync)",
  op_fs_file_sync_sync: "fsync (op_fs_file_sync_sync; end() only)",
  op_fs_open_sync: "open(2) + Deno permission check (op_fs_open_sync)",
  op_fs_file_stat_sync: "fstat (op_fs_file_stat_sync)",
  op_read_sync: "read(2) (op_read_sync)",
  op_encoding_encode_into: "TextEncoder.encodeInto",
  op_now: "performance.now()",
};

function _name(f: CallFrame): string {
  return OPS[f.functionName] ?? (f.functionName || "(anonymous)");
}

function _area(f: CallFrame): string {
  if (OPS[f.functionName]) return OPS[f.functionName];
  const u = f.url;
  if (f.functionName === "(garbage collector)") return "GC";
  if (f.functionName === "(program)") {
    return "(program: native, incl. syscalls)";
  }
  if (f.functionName === "(idle)") return "(idle)";
  if (u.startsWith("ext:") || u.startsWith("node:")) {
    return `Deno runtime (${u.split("/")[0].replace("ext:", "")})`;
  }
  if (u.includes("/src/")) return "src/" + u.slice(u.lastIndexOf("/src/") + 5);
  if (u === "") return `V8 builtin ${f.functionName || "(anonymous)"}`;
  return _short(u);
}

/**
 * Reads a .cpuprofile and summarizes it.
 *
 * @param path The profile file.
 * @param topN How many functions and areas to keep.
 * @param _root Unused; kept for call-site clarity.
 */
export function summarizeProfile(
  path: string,
  topN = 8,
  _root?: string,
): ProfileSummary {
  const p = JSON.parse(Deno.readTextFileSync(path)) as CpuProfile;
  const byId = new Map<number, ProfileNode>(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt);
    total += dt;
  }
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let idle = 0;
  for (const [id, t] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === "(idle)") {
      idle += t;
      continue;
    }
    const name = `${_name(f)}${
      f.url ? ` (${_short(f.url)}:${f.lineNumber + 1})` : ""
    }`;
    fn.set(name, (fn.get(name) ?? 0) + t);
    const a = _area(f);
    area.set(a, (area.get(a) ?? 0) + t);
  }
  const busy = total - idle || 1;
  const sorted = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, topN).map(([name, t]) => ({
      name,
      pct: (100 * t) / busy,
    }));
  return { top: sorted(fn), areas: sorted(area), totalMs: busy / 1000 };
}

if (import.meta.main) {
  const s = summarizeProfile(Deno.args[0], Number(Deno.args[1] ?? 15));
  console.log(`busy ${s.totalMs.toFixed(0)} ms`);
  console.log("self time by function:");
  for (const t of s.top) console.log(`  ${t.pct.toFixed(1)}%  ${t.name}`);
  console.log("self time by area:");
  for (const t of s.areas) console.log(`  ${t.pct.toFixed(1)}%  ${t.name}`);
}
