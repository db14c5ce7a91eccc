import { expect, test } from "bun:test";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package on JSR: `deno publish --dry-run` type-checks the public API as JSR does and
 * refuses slow types (an exported symbol without an explicit type), which a change to any
 * exported module can bring back.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("deno publish --dry-run passes, without --allow-slow-types", async () => {
  const deno = join(ROOT, "node_modules/.bin/deno");
  const proc = Bun.spawn([deno, "publish", "--dry-run", "--allow-dirty"], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  expect({ code, problems: stderr.match(/error\[[a-z-]+\].*\n.*-->.*/g) ?? [] }).toEqual({
    code: 0,
    problems: [],
  });
  expect(`${stdout}${stderr}`).toContain("Success Dry run complete");
}, 180_000);
