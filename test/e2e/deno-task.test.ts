/**
 * The documented Deno tasks, run as written with the npm-installed Deno first on PATH:
 * `deno task train -- …` and `deno task serve -- …` (issue 9: they died with a SyntaxError
 * because the task runner ran the native `deno` binary as a script).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSmallMnist } from "../support/small-mnist.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "node_modules/.bin");

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-deno-task-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `deno task …` in the repo as a person would after `npm install`. */
async function denoTask(args: string[]) {
  const child = Bun.spawn([join(BIN, "deno"), "task", ...args], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

test("deno task serve -- --help prints the usage", async () => {
  const run = await denoTask(["serve", "--", "--help"]);
  expect(run).toMatchObject({ code: 0 }); // on failure, shows what the task printed
  expect(run.stdout).toContain("Usage: serve");
}, 60_000);

test("deno task train -- --json trains and saves the model", async () => {
  const data = join(dir, "data");
  const out = join(dir, "model");
  await mkdir(data);
  await writeSmallMnist(data, 3000, 500);
  const run = await denoTask([
    "train",
    "--",
    "--json",
    "--epochs",
    "1",
    "--workers",
    "1",
    "--data",
    data,
    "--out",
    out,
  ]);
  expect(run).toMatchObject({ code: 0 });
  const summary = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "");
  expect(summary.epochs).toBe(1);
  expect(summary.workers).toBe(1);
  // One epoch over 3,000 images already beats chance (10%) by far.
  expect(summary.testAccuracy).toBeGreaterThan(0.6);
  expect((await readdir(out)).sort()).toEqual(["model.json", "weights.bin"]);
}, 180_000);
