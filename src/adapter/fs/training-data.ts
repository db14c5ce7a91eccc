import { stat } from "node:fs/promises";
import { join } from "node:path";
import { type ArrayDataset, isSparseInputs, type Targets } from "../../core/data/arrays.ts";
import type { CsvTableOptions } from "../../core/data/csv-table.ts";
import { KERAS_ARRAYS } from "../../core/data/keras-arrays.ts";
import { type ModelIo, modelIoOf } from "../../core/format/model-io.ts";
import { kerasArraysForTraining } from "./array-files.ts";
import { tableFromCsvFile } from "./table-files.ts";

/**
 * Where `train --data` points: a CSV table (with its target and reading options), a Keras-layout
 * `.npz` file or folder of `.npy` files, or a folder of MNIST-format IDX files.
 */
export type DataSource =
  | {
      readonly kind: "csv";
      readonly file: string;
      readonly test?: string;
      readonly table: CsvTableOptions;
    }
  | { readonly kind: "path"; readonly path: string };

/** What was read: arrays (with their io) or an IDX folder, and lines saying what was read. */
export interface TrainingData {
  readonly data?: ArrayDataset;
  /** An IDX folder for the MNIST loader. */
  readonly dataDir?: string;
  /** What the trained model's inputs are made from and its outputs mean. */
  readonly io?: ModelIo;
  readonly report: readonly string[];
}

const exists = async (path: string) => (await stat(path).catch(() => undefined)) !== undefined;

export async function readTrainingData(source: DataSource): Promise<TrainingData> {
  if (source.kind === "csv") return readCsv(source);
  const { path } = source;
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`${path}: file not found (expected a .csv, .npz or a data folder)`);
  const npy =
    info.isDirectory() &&
    ((await exists(join(path, `${KERAS_ARRAYS[0]}.npy`))) ||
      (await exists(join(path, `${KERAS_ARRAYS[0]}.npz`))));
  if (info.isDirectory() && !npy) return { dataDir: path, report: [] };
  if (!npy && !path.toLowerCase().endsWith(".npz")) {
    throw new Error(
      `${path}: expected a .npz archive, a .csv table (with --target), or a folder of IDX or .npy files`,
    );
  }
  const { data, pixels } = await kerasArraysForTraining(path);
  const shape = ({ x }: ArrayDataset["train"]) =>
    `${x.shape.join("×")}${isSparseInputs(x) ? ` (CSR rows, ${x.index.length} nonzero)` : ""}`;
  return {
    data,
    io: modelIoOf(data, { pixels }),
    report: [
      `read ${path}: train ${shape(data.train)}, test ${shape(data.test)}${pixels ? " (uint8 images, scaled by 1/255)" : ""}`,
      `task: ${taskText(data.train.y)}`,
    ],
  };
}

function taskText(y: Targets): string {
  if (y.kind === "numbers") return `regression (${y.outputs} output${y.outputs > 1 ? "s" : ""})`;
  const names = y.classNames ? `: ${y.classNames.join(", ")}` : "";
  return `classification (${y.classes} classes${names})`;
}

async function readCsv(source: Extract<DataSource, { kind: "csv" }>): Promise<TrainingData> {
  const table = await tableFromCsvFile(source.file, source.table, source.test);
  const { report, preprocessing: prep, data } = table;
  const strings = prep.columns.filter((c) => c.kind === "string").length;
  const dropped = report.droppedMissingInput + report.droppedMissingTarget;
  const files = source.test ? `${source.file} + ${source.test}` : source.file;
  const testFrom = source.test
    ? source.test
    : `${source.table.testSplit ?? 0.2} of ${source.file}, seed ${source.table.seed ?? 0}`;
  return {
    data,
    io: modelIoOf(data, { preprocessing: prep }),
    report: [
      `read ${files}: ${report.rows} rows; ${prep.columns.length} input columns (${prep.columns.length - strings} numbers, ${strings} strings → ${data.train.x.shape[1]} inputs), target "${prep.target.name}"`,
      `dropped ${dropped} rows with missing values (${report.droppedMissingTarget} target, ${report.droppedMissingInput} inputs)${prep.missing === "impute" ? "; missing inputs imputed with the mean" : ""}`,
      `train ${report.trainRows} rows, test ${report.testRows} rows (${testFrom})`,
      `task: ${taskText(data.train.y)}`,
    ],
  };
}
