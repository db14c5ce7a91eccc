import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Imports run one way. Each folder may import only the folders listed for it (and itself);
 * Biome's noImportCycles (biome.json) catches cycles inside a folder.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ALLOWED: Record<string, readonly string[]> = {
  "src/core": [],
  "src/tf": ["src/core"],
  "src/collective": ["src/core", "src/wasm"],
  "src/wasm": ["src/core"],
  "src/worker": ["src/core", "src/tf", "src/collective", "src/wasm"],
  "src/dashboard": ["src/core"],
  "src/server": ["src/core", "src/dashboard"],
  "src/adapter": ["src/core", "src/server"],
  "src/train": [
    "src/core",
    "src/collective",
    "src/worker",
    "src/dashboard",
    "src/server",
    "src/adapter",
  ],
  "src/cli": ["src/core", "src/train", "src/server", "src/adapter"],
  workers: ["src/worker"],
  public: ["src/core", "src/dashboard"],
};
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
  return Object.keys(ALLOWED).find((folder) => path === folder || path.startsWith(`${folder}/`));
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
        return to !== from && !(to && ALLOWED[from].includes(to));
      });
    expect(wrong).toEqual([]);
  });

  test.each(sourceFiles("src/core"))("%s imports nothing runtime-specific", (file) => {
    const packages = importsOf(file).filter((spec) => !spec.startsWith("."));
    expect(packages.filter((spec) => !CORE_PACKAGES.test(spec))).toEqual([]);
  });
});
