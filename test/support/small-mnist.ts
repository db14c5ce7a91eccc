import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { IDX_FILES, type ImageSet, sliceSet } from "../../src/core/data/dataset.ts";
import { encodeIdx } from "../../src/core/data/idx.ts";

/** The first `train`/`test` real MNIST images as IDX files in `target`, for a quick CLI run. */
export async function writeSmallMnist(target: string, train: number, test: number): Promise<void> {
  const full = await loadIdxDataset();
  const write = async (images: string, labels: string, set: ImageSet) => {
    await writeFile(join(target, images), encodeIdx([set.count, set.rows, set.cols], set.images));
    await writeFile(join(target, labels), encodeIdx([set.count], set.labels));
  };
  await write(IDX_FILES.trainImages, IDX_FILES.trainLabels, sliceSet(full.train, 0, train));
  await write(IDX_FILES.testImages, IDX_FILES.testLabels, sliceSet(full.test, 0, test));
}
