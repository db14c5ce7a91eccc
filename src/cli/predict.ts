/**
 * `shardfit predict --model DIR --data FILE`: the saved model's predictions for a file of
 * images (one line per image) or a CSV table (the table again with the predictions), computed
 * by the core's plain-TS forward pass (as `/predict`).
 */
import { readFile } from "node:fs/promises";
import { loadModelDir } from "../adapter/fs/model-files.ts";
import { predictCsvFile } from "../adapter/fs/predict-table.ts";
import { readIdx } from "../core/data/idx.ts";
import { decodePngGray } from "../core/image/png.ts";
import { preprocessGray } from "../core/image/preprocess.ts";
import { type Prediction, predictPixelsBatch } from "../core/model/forward.ts";
import { shapeSize } from "../core/model/sequential.ts";
import { intFlag, parseFlags, runCli, UsageError } from "./args.ts";

const USAGE = `Usage: shardfit predict --model DIR --data FILE [--labels FILE] [--limit N] [--json]
       shardfit predict --model DIR --data FILE.csv [--out FILE.csv]

Prints the model's prediction for every image of FILE, one line each:
INDEX LABEL CONFIDENCE (tab-separated), or with --json one JSON object a line.
For a model trained on a CSV table, FILE.csv holds rows with the training columns (the
target may be absent); the output is CSV: those rows, then the predicted class and its
probability (classification) or the predicted value (regression).

  --model DIR     model directory holding model.json + weights.bin (default models/mnist)
  --data FILE     an IDX images file (raw or .gz, e.g. t10k-images-idx3-ubyte.gz) whose
                  images have the model's input size, one PNG of a digit (scaled and
                  centred like POST /predict does), or a CSV table for a table model
  --out FILE      write the CSV predictions there (complete or not at all) instead of stdout
  --labels FILE   the IDX labels of --data: also print the accuracy, on stderr
  --limit N       predict only the first N images
  --json          one JSON object a line: {"index", "label", "confidence", "probabilities"}
  -h, --help      show this help
`;

/** Images predicted per forward pass: bounded scratch memory for any file size. */
const BATCH = 256;

// `predict … | head`: a reader that stops early is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

await runCli("predict", USAGE, async () => {
  const flags = parseFlags(process.argv.slice(2), {
    model: { type: "string", default: "models/mnist" },
    data: { type: "string" },
    labels: { type: "string" },
    out: { type: "string" },
    limit: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return void process.stdout.write(USAGE);
  if (flags.data === undefined) throw new UsageError("--data FILE is required");
  const limit = intFlag("limit", flags.limit, 1);
  const model = await loadModelDir(flags.model);
  if (model.io.input.kind === "table" || /\.(csv|tsv|txt)$/i.test(flags.data)) {
    if (flags.labels !== undefined || flags.json) {
      throw new UsageError(
        `--${flags.labels !== undefined ? "labels" : "json"}: not with a CSV table`,
      );
    }
    return predictCsvFile(model, flags.data, flags.out, limit);
  }
  if (flags.out !== undefined) throw new UsageError("--out: applies to a CSV table");
  const size = shapeSize(model.layout.inputShape);
  const images = await readImages(flags.data, size);
  const labels = flags.labels === undefined ? undefined : await readLabels(flags.labels);
  if (labels && labels.length !== images.length) {
    throw new Error(`${flags.labels}: ${labels.length} labels for ${images.length} images`);
  }
  const count = Math.min(images.length, limit ?? images.length);
  let correct = 0;
  for (let start = 0; start < count; start += BATCH) {
    const batch = images.slice(start, Math.min(count, start + BATCH));
    const lines = predictPixelsBatch(model, batch).map((p, b) => {
      if (labels && p.label === labels[start + b]) correct++;
      return formatPrediction(start + b, p, flags.json === true);
    });
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  if (labels) {
    console.error(`accuracy ${(correct / count).toFixed(4)} (${correct}/${count})`);
  }
});

function formatPrediction(index: number, p: Prediction, json: boolean): string {
  if (json) return JSON.stringify({ index, ...p });
  return `${index}\t${p.label}\t${p.confidence.toFixed(4)}`;
}

/** The images of `file` as views of `size` pixels each: an IDX images file, or one PNG. */
async function readImages(file: string, size: number): Promise<Uint8Array[]> {
  const bytes = new Uint8Array(await readFile(file));
  if (file.toLowerCase().endsWith(".png")) {
    const { pixels, hasInk } = preprocessGray(await decodePngGray(bytes));
    if (!hasInk) throw new Error(`${file}: the image is a single uniform colour (no ink)`);
    if (pixels.length !== size) {
      throw new Error(`${file}: a PNG gives 28×28 inputs; this model takes ${size} inputs`);
    }
    return [pixels];
  }
  const idx = await readIdx(bytes, file);
  const [count, ...shape] = idx.dims;
  if (idx.dims.length < 2 || shapeSize(shape) !== size) {
    throw new Error(
      `${file}: images of shape ${JSON.stringify(shape)}, but this model takes ${size} inputs`,
    );
  }
  return Array.from({ length: count }, (_, i) => idx.data.subarray(i * size, (i + 1) * size));
}

async function readLabels(file: string): Promise<Uint8Array> {
  return (await readIdx(new Uint8Array(await readFile(file)), file, 1)).data;
}
