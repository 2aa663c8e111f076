// Running a command under a pseudo-terminal (script -qec), where Deno sees a
// TTY and WOULD prompt for a permission it lacks, WITHOUT --no-prompt: a
// prompt shows either as Deno's prompt text in the output or as the command
// hanging past the timeout.
import { CLI_URL } from "./_helpers.ts";

/** Seconds a command may take before it counts as waiting at a prompt. */
const TIMEOUT_S = 30;

/** Deno's permission prompt and its answers; git's credential prompts. */
const PROMPT =
  /Allow\?|Deno requests|⚠️|Granted |Denied |\[y\/n|(?:^|[\r\n])(?:Username|Password) for '/;

function shellWord(s: string): string {
  return `'${s.replaceAll("'", `'"'"'`)}'`;
}

/** One command to run under a pseudo-terminal. */
export interface PtyCase {
  name: string;
  flags: string[];
  args: string[];
  /** The script to run (default cli.ts). */
  script?: string;
  /** The environment of the command (default: inherited). */
  env?: Record<string, string>;
}

/** The `script` child running a case under a pseudo-terminal, and its time limit. */
function spawnScript(
  cwd: string,
  c: PtyCase,
  stdin: "null" | "piped",
): { child: Deno.ChildProcess; hung: () => boolean; stop: () => void } {
  // deliberately no --no-prompt: only the CLI's own checks keep it quiet
  const words = [
    Deno.execPath(),
    "run",
    "--no-config",
    ...c.flags,
    c.script ?? CLI_URL,
  ];
  const cmd = [...words, ...c.args].map(shellWord).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", cmd, "/dev/null"],
    cwd,
    env: c.env,
    stdin,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, TIMEOUT_S * 1000);
  return { child, hung: () => hung, stop: () => clearTimeout(timer) };
}

/** Runs one command under a pseudo-terminal, killed at the first prompt text. */
export async function underPty(
  cwd: string,
  c: PtyCase,
): Promise<{ code: number | null; text: string; prompted: boolean }> {
  const { child, hung, stop } = spawnScript(cwd, c, "null");
  let text = "";
  const decoder = new TextDecoder();
  const errText = new Response(child.stderr).text();
  for await (const chunk of child.stdout) {
    text += decoder.decode(chunk, { stream: true });
    if (PROMPT.test(text)) {
      child.kill("SIGKILL"); // it waits for an answer: no need to wait longer
      break;
    }
  }
  const status = await child.status;
  stop();
  text += await errText;
  return {
    code: status.signal === null ? status.code : null,
    text,
    prompted: PROMPT.test(text) || hung(),
  };
}

/**
 * Runs a line-reading server (e.g. `exprag mcp`) under a pseudo-terminal,
 * without --no-prompt: writes `lines` to it as typed, reads its output
 * until `done` holds (or prompt text shows, or the time is up), then ends
 * its input with Ctrl-D.
 */
export async function serveUnderPty(
  cwd: string,
  c: PtyCase & { lines: string[]; done: (text: string) => boolean },
): Promise<{ code: number | null; text: string; prompted: boolean }> {
  const { child, hung, stop } = spawnScript(cwd, c, "piped");
  const w = child.stdin.getWriter();
  const encoder = new TextEncoder();
  for (const l of c.lines) await w.write(encoder.encode(l + "\n"));
  let text = "";
  const decoder = new TextDecoder();
  const errText = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  while (!c.done(text) && !PROMPT.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  if (PROMPT.test(text)) child.kill("SIGKILL");
  else await w.write(encoder.encode("\x04")).catch(() => {});
  await w.close().catch(() => {});
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    text += decoder.decode(r.value, { stream: true });
  }
  const { code, signal } = await child.status;
  stop();
  text += await errText;
  return {
    code: signal === null ? code : null,
    text,
    prompted: PROMPT.test(text) || hung(),
  };
}
