/**
 * The commands the README and docs/ show, checked as written: every npm/bun script and Deno
 * task they name exists, every file they run exists, and every flag they pass is one that
 * command's `--help` lists — under Bun, and under Deno where the docs run it with Deno. The
 * installed package's forms (`bunx shardfit train …`, `deno run -A npm:shardfit serve …`) are
 * checked against the bin's source, src/cli/shardfit.ts, and that subcommand's `--help`.
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "node_modules/.bin");
const DOCS = ["README.md", ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith(".md"),
);
const SCRIPTS: Record<string, string> = JSON.parse(
  readFileSync(join(ROOT, "package.json"), "utf8"),
).scripts;
// deno.json allows comments: drop whole-line ones before parsing.
const TASKS: Record<string, string> = JSON.parse(
  readFileSync(join(ROOT, "deno.json"), "utf8").replace(/^\s*\/\/.*$/gm, ""),
).tasks;

/** Commands that start a program of other tools, or only set up the shell. */
const OTHER_TOOLS = /^(npx|curl|docker|kubectl|export|cd|git|node|mkdir|PIX=|\$\(|\{)/;
/** Package installs: `npm install shardfit`, `bun add shardfit`, `deno add npm:shardfit`. */
const INSTALLS = /^(npm (install|test|ci)|bun (add|install)|deno (add|install))\b/;
/** The `shardfit` bin of the package, run from the repository's source. */
const BIN_SOURCE = "src/cli/shardfit.ts";

type Runtime = "bun" | "deno";
interface Invocation {
  readonly doc: string;
  readonly line: string;
  readonly runtime: Runtime;
  readonly file: string;
  /** The subcommand of the `shardfit` bin (its first argument), if it is one. */
  readonly subcommand?: string;
  readonly flags: string[];
}

/**
 * The commands of the ```sh blocks: continuation and quoted newlines joined, comments dropped.
 * A block that ends inside a quote (an apostrophe in a comment) would hide the commands after
 * it, so it is an error.
 */
function shellLines(doc: string, markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const commands: string[] = [];
  for (const block of blocks) {
    let open = "";
    for (const line of block.replace(/\\\n\s*/g, " ").split("\n")) {
      open = open === "" ? line : `${open} ${line.trim()}`;
      const quotes = (open.match(/'/g) ?? []).length;
      if (quotes % 2 === 0) {
        commands.push(open.replace(/(^|\s)#.*$/, "").trim());
        open = "";
      }
    }
    if (open !== "") throw new Error(`${doc}: a sh block ends inside a quote: ${open}`);
  }
  return commands.filter((command) => command !== "");
}

/** `bunx shardfit SUB` or `deno run -A npm:shardfit SUB`: the installed package's bin. */
function binRun(words: string[]): Omit<Invocation, "doc" | "line"> | null {
  const viaBunx = words[0] === "bunx" && words[1] === "shardfit";
  const denoAt = words[0] === "deno" && words[1] === "run" ? words.indexOf("npm:shardfit") : -1;
  if (!viaBunx && denoAt < 0) return null;
  const at = viaBunx ? 2 : denoAt + 1;
  const subcommand = words[at];
  if (subcommand === undefined || subcommand.startsWith("-")) return null;
  const runtime = viaBunx ? "bun" : "deno";
  return { runtime, file: BIN_SOURCE, subcommand, flags: flagsOf(words.slice(at + 1)) };
}

/** `bun FILE`, `bun run FILE` or `deno run -A FILE` at the start of `words`, if it is one. */
function directRun(words: string[]): { runtime: Runtime; file: string; rest: string[] } | null {
  if (words[0] === "bun") {
    const at = words[1] === "run" ? 2 : 1;
    const file = words[at];
    if (file?.endsWith(".ts")) return { runtime: "bun", file, rest: words.slice(at + 1) };
  }
  if (words[0] === "deno" && words[1] === "run") {
    const at = words.findIndex((w, i) => i > 1 && !w.startsWith("-"));
    if (at > 0) return { runtime: "deno", file: words[at], rest: words.slice(at + 1) };
  }
  return null;
}

/** What a script or task body runs: `bun FILE` or `… deno run -A FILE`. */
function scriptTarget(body: string): { runtime: Runtime; file: string } | null {
  const words = body.replace(/^\.\/node_modules\/\.bin\//, "").split(/\s+/);
  const run = directRun(words);
  return run && { runtime: run.runtime, file: run.file };
}

const flagsOf = (words: string[]) =>
  words.filter((w) => w.startsWith("--") && w !== "--").map((w) => w.split("=")[0]);

/** One command line as an invocation of a TypeScript entry, or null for scripts like `test`. */
function invocation(doc: string, line: string): Invocation | null {
  const words = line.split(/\s+/);
  const bin = binRun(words);
  if (bin) return { doc, line, ...bin };
  if ((words[0] === "bunx" && words[1] === "shardfit") || words.includes("npm:shardfit")) {
    return null; // `bunx shardfit --help`: the bin itself, no subcommand's flags to check
  }
  const direct = directRun(words);
  if (direct) return { doc, line, ...direct, flags: flagsOf(direct.rest) };
  const named =
    (words[0] === "npm" || words[0] === "bun") && words[1] === "run"
      ? { name: words[2], body: SCRIPTS[words[2]], kind: "package.json script" }
      : words[0] === "deno" && words[1] === "task"
        ? { name: words[2], body: TASKS[words[2]], kind: "deno.json task" }
        : null;
  if (!named) throw new Error(`${doc}: a command this test cannot read: ${line}`);
  if (named.body === undefined)
    throw new Error(`${doc}: no ${named.kind} "${named.name}": ${line}`);
  const target = scriptTarget(named.body);
  return target && { doc, line, ...target, flags: flagsOf(words.slice(3)) };
}

function documentedInvocations(): Invocation[] {
  return DOCS.flatMap((doc) =>
    shellLines(doc, readFileSync(join(ROOT, doc), "utf8"))
      .flatMap((line) => line.split(" && "))
      .filter((line) => !OTHER_TOOLS.test(line) && !INSTALLS.test(line))
      .flatMap((line) => {
        const found = invocation(doc, line);
        return found ? [found] : [];
      }),
  );
}

async function helpText(runtime: Runtime, file: string, subcommand?: string): Promise<string> {
  const argv = [
    ...(runtime === "bun" ? ["bun", file] : ["deno", "run", "-A", file]),
    ...(subcommand ? [subcommand] : []),
  ];
  const child = Bun.spawn([join(BIN, argv[0]), ...argv.slice(1), "--help"], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${argv.join(" ")} --help exited ${code}: ${err}`);
  return out;
}

test("every documented command names a script, task and file that exist", () => {
  const all = documentedInvocations();
  // The README trains and serves with both runtimes: the parser must have found those.
  for (const [runtime, file] of [
    ["bun", "src/cli/train.ts"],
    ["deno", "src/cli/train.ts"],
    ["bun", "src/cli/serve.ts"],
    ["deno", "src/cli/serve.ts"],
    ["deno", "src/cli/worker.ts"],
  ]) {
    expect(all.some((i) => i.runtime === runtime && i.file === file)).toBe(true);
  }
  // … and the installed package's commands, with Bun and with Deno.
  for (const [runtime, subcommand] of [
    ["bun", "train"],
    ["bun", "serve"],
    ["bun", "predict"],
    ["deno", "train"],
    ["deno", "worker"],
  ]) {
    expect(all.some((i) => i.runtime === runtime && i.subcommand === subcommand)).toBe(true);
  }
  const subcommands = readFileSync(join(ROOT, BIN_SOURCE), "utf8");
  for (const i of all.filter((i) => i.subcommand)) {
    const known = subcommands.includes(`  ${i.subcommand}: () => import(`);
    expect({ line: i.line, known }).toEqual({ line: i.line, known: true });
  }
  for (const i of all)
    expect({ line: i.line, exists: existsSync(join(ROOT, i.file)) }).toEqual({
      line: i.line,
      exists: true,
    });
});

test("every flag a documented command passes is one its --help lists (Bun and Deno)", async () => {
  const byEntry = new Map<string, Invocation[]>();
  for (const i of documentedInvocations()) {
    const key = `${i.runtime} ${i.file}${i.subcommand ? ` ${i.subcommand}` : ""}`;
    byEntry.set(key, [...(byEntry.get(key) ?? []), i]);
  }
  for (const [key, uses] of byEntry) {
    const help = await helpText(uses[0].runtime, uses[0].file, uses[0].subcommand);
    for (const use of uses) {
      const unknown = use.flags.filter((flag) => !new RegExp(`${flag}\\b`).test(help));
      expect({ command: `${key}: ${use.line}`, unknown }).toEqual({
        command: `${key}: ${use.line}`,
        unknown: [],
      });
    }
  }
}, 120_000);
