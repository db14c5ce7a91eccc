import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Imports run one way. Each folder may import only the folders listed for it (and itself):
 * `folder/*` allows the folder and everything below it. Biome's noImportCycles (biome.json)
 * catches cycles inside a folder. src/core is in folders by what they hold, each with its own
 * rule: data, image, model → loss → metric, optim, run, and format (the files) over them.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ALLOWED: Record<string, readonly string[]> = {
  /** The barrel (index.ts) and validate.ts. */
  "src/core": ["src/core/*"],
  "src/core/data": ["src/core"],
  "src/core/image": [],
  "src/core/model": ["src/core/data"],
  "src/core/optim": ["src/core"],
  "src/core/loss": ["src/core/model"],
  "src/core/metric": ["src/core/loss"],
  "src/core/run": [],
  "src/core/format": [
    "src/core",
    "src/core/data",
    "src/core/model",
    "src/core/optim",
    "src/core/metric",
    "src/core/run",
  ],
  "src/tf": ["src/core/*"],
  "src/collective": ["src/core/*", "src/wasm"],
  "src/wasm": ["src/core/*"],
  "src/worker": ["src/core/*", "src/tf", "src/collective", "src/wasm"],
  "src/dashboard": ["src/core/*"],
  "src/server": ["src/core/*", "src/dashboard"],
  "src/adapter": ["src/core/*", "src/server"],
  "src/train": [
    "src/core/*",
    "src/collective",
    "src/worker",
    "src/dashboard",
    "src/server",
    "src/adapter",
  ],
  "src/cli": ["src/core/*", "src/train", "src/server", "src/adapter"],
  workers: ["src/worker"],
  public: ["src/core/*", "src/dashboard"],
};
const allows = (rule: string, folder: string) =>
  rule.endsWith("/*")
    ? folder === rule.slice(0, -2) || folder.startsWith(rule.slice(0, -1))
    : folder === rule;
/**
 * Packages the runtime-free core may use: plain JS that runs in Bun, Deno, workerd, browsers.
 * csv-parse/stream is the exception that needs node:stream/web and Buffer (Bun, Deno, and
 * workerd with nodejs_compat provide both; a browser would need a bundler's polyfill).
 */
const CORE_PACKAGES = /^(valibot|fast-png|fflate|pako|csv-parse\/stream)(\/|$)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => join(dir, f));
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const specifiers = text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms);
  return [...specifiers].map((m) => m[1]);
}

/** The folder of ALLOWED a repository path belongs to. */
function folderOf(path: string): string | undefined {
  return Object.keys(ALLOWED)
    .filter((folder) => path === folder || path.startsWith(`${folder}/`))
    .sort((x, y) => y.length - x.length)[0];
}

const files = Object.keys(ALLOWED).flatMap(sourceFiles);

describe("module layering", () => {
  test("every source folder is covered", () => {
    expect(files.length).toBeGreaterThan(50);
  });

  test.each(files)("%s imports only the folders below it", (file) => {
    const from = folderOf(file)!;
    const wrong = importsOf(file)
      .filter((spec) => spec.startsWith("."))
      .map((spec) => relative(ROOT, resolve(ROOT, dirname(file), spec)))
      .filter((target) => {
        const to = folderOf(target);
        return to !== from && !(to && ALLOWED[from].some((rule) => allows(rule, to)));
      });
    expect(wrong).toEqual([]);
  });

  test.each(sourceFiles("src/core"))("%s imports nothing runtime-specific", (file) => {
    const packages = importsOf(file).filter((spec) => !spec.startsWith("."));
    expect(packages.filter((spec) => !CORE_PACKAGES.test(spec))).toEqual([]);
  });
});
