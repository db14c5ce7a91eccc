import type { Subprocess } from "bun";

/**
 * Waits for a piped child process to exit, with both its outputs, killing it after
 * `timeoutMs` so a hung command fails its test instead of hanging the suite.
 */
export async function finished(
  proc: Subprocess<"ignore" | "pipe" | "inherit", "pipe", "pipe">,
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const timer = setTimeout(() => proc.kill(), timeoutMs);
  try {
    const [code, stdout, stderr] = await Promise.all([
      proc.exited,
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
