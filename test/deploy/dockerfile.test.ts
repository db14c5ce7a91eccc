import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The Dockerfile read as text (no docker here): Bun is a dev dependency, so the image must
 * install it itself, at the version package.json pins; what it copies and runs must exist; the
 * manifests run the image of this version.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const instructions = dockerfile
  .replace(/\\\n\s*/g, " ")
  .split("\n")
  .filter((line) => /^[A-Z]+ /.test(line));

test("Bun comes from its own install at package.json's pinned version, not from npm ci", () => {
  expect(pkg.dependencies.bun).toBeUndefined();
  expect(pkg.devDependencies.bun).toMatch(/^\d+\.\d+\.\d+$/);
  const runs = instructions.filter((line) => line.startsWith("RUN "));
  const install = runs.find((line) => line.includes("npm install -g"));
  expect(install).toContain(`bun@$(node -p 'require("./package.json").devDependencies.bun')`);
  const ci = runs.find((line) => line.includes("npm ci"));
  expect(ci).toContain("--omit=dev");
  expect(runs.indexOf(install!)).toBeLessThanOrEqual(runs.indexOf(ci!));
});

test("every COPY source exists, and so does the entry the image runs", () => {
  const sources = instructions
    .filter((line) => line.startsWith("COPY "))
    .flatMap((line) => line.split(/\s+/).slice(1, -1));
  expect(sources).toEqual(expect.arrayContaining(["src", "workers", "public"]));
  for (const source of sources) expect(existsSync(join(ROOT, source))).toBe(true);
  expect(instructions).toContain('ENTRYPOINT ["bun"]');
  const cmd = JSON.parse(instructions.find((l) => l.startsWith("CMD "))!.slice(4));
  expect(existsSync(join(ROOT, cmd[0]))).toBe(true);
});

test("the manifests and the build comment name this version's image", () => {
  const image = `shardfit:${pkg.version}`;
  expect(dockerfile).toContain(`docker build -t ${image} .`);
  for (const file of ["coordinator.yaml", "workers.yaml"]) {
    const manifest = readFileSync(join(ROOT, "deploy/kubernetes", file), "utf8");
    expect(manifest).toContain(`image: ${image}`);
  }
});
