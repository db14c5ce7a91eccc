/**
 * Training on your own files from the command line, measured the way a user would: the model
 * is trained by `train --data …`, then scored by `shardfit predict` on held-out rows (never by
 * the run's own summary), and the table model is served on Bun, Deno and workerd.
 * - a Keras-layout mnist.npz (written here from the IDX files) trains the seed job to ≥ 0.977;
 * - Boston housing as CSV (the book's Dense(64)-Dense(64)-Dense(1), mse) reaches test MAE ≤ 3.0
 *   and the served model answers a raw row by column name on every runtime;
 * - iris as CSV with the species as strings reaches ≥ 0.93.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultMnistDir } from "../../src/adapter/fs/mnist.ts";
import { IDX_FILES } from "../../src/core/data/dataset.ts";
import { Rng } from "../../src/core/data/rng.ts";
import { writeMnistNpz } from "../support/keras-npz.ts";
import { finished } from "../support/process.ts";
import { loadBostonCsv, loadIrisCsv } from "../support/real-tables.ts";
import { RUNTIMES, startServer } from "../support/servers.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-own-data-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function run(script: "train" | "predict", ...args: string[]) {
  const proc = Bun.spawn([process.execPath, `src/cli/${script}.ts`, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return finished(proc, 1_800_000);
}

/** A CSV's lines split into a training and a test file by a seeded shuffle of its rows. */
async function splitCsv(text: string, name: string, testRows: number) {
  const [header, ...rows] = text.trimEnd().split("\n");
  const order = Rng.fromSeed(42).shuffle(Int32Array.from(rows, (_, i) => i));
  const pick = (from: number, to: number) =>
    `${[header, ...Array.from(order.subarray(from, to), (i) => rows[i])].join("\n")}\n`;
  const train = join(dir, `${name}-train.csv`);
  const testFile = join(dir, `${name}-test.csv`);
  await writeFile(train, pick(testRows, rows.length));
  await writeFile(testFile, pick(0, testRows));
  return { train, test: testFile };
}

/** The CSV `shardfit predict` wrote, as objects (no quoted fields in these tables). */
function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trimEnd().split("\n");
  const names = header.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i], v])));
}

async function trainOk(...args: string[]) {
  const result = await run("train", ...args, "--json");
  if (result.code !== 0) throw new Error(`train exited ${result.code}: ${result.stderr}`);
  return result;
}

describe("train --data on your own files", () => {
  test("mnist.npz in the Keras layout trains the seed job to ≥ 0.977", async () => {
    const npz = join(dir, "mnist.npz");
    await writeMnistNpz(npz);
    const out = join(dir, "mnist");
    const trained = await trainOk("--data", npz, "--out", out);
    expect(trained.stderr).toContain("(uint8 images, scaled by 1/255)");
    const mnist = defaultMnistDir();
    const scored = await run(
      "predict",
      "--model",
      out,
      "--data",
      join(mnist, IDX_FILES.testImages),
      "--labels",
      join(mnist, IDX_FILES.testLabels),
    );
    const accuracy = Number(/accuracy ([\d.]+)/.exec(scored.stderr)?.[1]);
    console.log(`mnist.npz: test accuracy ${accuracy}`);
    expect(accuracy).toBeGreaterThanOrEqual(0.977);
  }, 1_800_000);

  test("Boston housing CSV: test MAE ≤ 3.0, and the served model answers a raw row", async () => {
    const { train, test: testFile } = await splitCsv(await loadBostonCsv(), "boston", 102);
    const out = join(dir, "boston");
    const trained = await trainOk(
      ...["--data", train, "--test", testFile, "--target", "MEDV", "--out", out],
      ...["--hidden", "64,64", "--epochs", "80", "--batch-size", "16", "--workers", "1"],
    );
    expect(trained.stderr).toContain("task: regression");
    const scored = await run("predict", "--model", out, "--data", testFile);
    expect(scored.code).toBe(0);
    const rows = parseCsv(scored.stdout);
    const mae =
      rows.reduce((sum, r) => sum + Math.abs(Number(r.predicted_MEDV) - Number(r.MEDV)), 0) /
      rows.length;
    console.log(`Boston housing: test MAE ${mae.toFixed(3)} over ${rows.length} rows`);
    expect(rows).toHaveLength(102);
    expect(mae).toBeLessThanOrEqual(3.0);

    const { MEDV: _target, predicted_MEDV: predicted, ...raw } = rows[0];
    const row = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
    for (const runtime of RUNTIMES) {
      const server = await startServer(runtime, out);
      try {
        const res = await fetch(`${server.url}/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ rows: [row] }),
        });
        const body = (await res.json()) as { predictions: { value: number }[] };
        expect(res.status).toBe(200);
        expect(Math.abs(body.predictions[0].value - Number(predicted))).toBeLessThan(1e-4);
      } finally {
        await server.stop();
      }
    }
  }, 1_800_000);

  test("iris CSV with the species as strings reaches ≥ 0.93", async () => {
    const { train, test: testFile } = await splitCsv(await loadIrisCsv(), "iris", 30);
    const out = join(dir, "iris");
    const trained = await trainOk(
      ...["--data", train, "--test", testFile, "--target", "species", "--out", out],
      ...["--hidden", "16", "--epochs", "100", "--batch-size", "8", "--workers", "1"],
    );
    expect(trained.stderr).toContain(
      "task: classification (3 classes: setosa, versicolor, virginica)",
    );
    const scored = await run("predict", "--model", out, "--data", testFile);
    const rows = parseCsv(scored.stdout);
    const accuracy = rows.filter((r) => r.predicted_species === r.species).length / rows.length;
    console.log(`iris: test accuracy ${accuracy.toFixed(4)} over ${rows.length} rows`);
    expect(accuracy).toBeGreaterThanOrEqual(0.93);
  }, 1_800_000);
});
