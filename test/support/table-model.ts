import { saveModelDir, saveModelIo } from "../../src/adapter/fs/model-files.ts";
import { readCsvTable } from "../../src/core/data/csv-table.ts";
import type { TablePreprocessing } from "../../src/core/data/table-prep.ts";
import { modelIoOf } from "../../src/core/format/model-io.ts";
import { initParams } from "../../src/core/model/init.ts";
import { dense, type ModelSpec } from "../../src/core/model/sequential.ts";

/** A tiny car table: two number columns, one string column, a class target "Kind". */
export const CARS_CSV = `Cylinders,Weight,Origin,Kind
4,2000,Japan,small
4,2200,Japan,small
6,3000,USA,big
8,4000,USA,big
4,2100,Europe,small
6,3100,Europe,mid
`;

/**
 * A model directory for CARS_CSV, untrained (seeded initial weights) but saved as `train
 * --data cars.csv --target Kind` saves one: its io holds the table preprocessing.
 */
export async function saveCarsModel(
  dir: string,
): Promise<{ spec: ModelSpec; params: Float32Array; preprocessing: TablePreprocessing }> {
  const table = await readCsvTable(
    { file: "cars.csv", source: CARS_CSV },
    { target: "Kind", testSplit: 0 },
  );
  const spec: ModelSpec = {
    inputShape: [table.data.train.x.shape[1]],
    layers: [dense(5, { activation: "relu" }), dense(3, { activation: "softmax" })],
  };
  const params = initParams(spec, 11);
  const summary = {
    data: "cars.csv",
    epochs: 0,
    batchSize: 1,
    workers: 1,
    seed: 0,
    testAccuracy: 0,
    testLoss: 0,
    trainSeconds: 0,
    date: "2026-12-07",
  };
  const io = modelIoOf(table.data, { preprocessing: table.preprocessing });
  await saveModelDir(dir, spec, params, summary);
  await saveModelIo(dir, io);
  return { spec, params, preprocessing: table.preprocessing };
}
