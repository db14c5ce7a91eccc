import { Rng } from "../rng.ts";
import { type ArrayDataset, type ArraySplit, validateArrayDataset } from "./arrays.ts";
import { type CsvDelimiter, type CsvSource, readCsvRecords } from "./csv-records.ts";
import { DataFileError } from "./error.ts";
import { type ColumnKind, DEFAULT_MISSING_VALUES, TableColumn } from "./table-columns.ts";
import {
  type ColumnPrep,
  columnWidth,
  inputWidth,
  normalise,
  type TablePreprocessing,
} from "./table-prep.ts";

/**
 * A CSV table as an array data set plus the preprocessing that made it (see table-prep.ts).
 *
 * The target column decides the task unless `task` is given: a string column, or a number
 * column whose values are all integers with at most MAX_INTEGER_CLASSES distinct values, is
 * classification (class names sorted: strings in string order, integers by value); any other
 * number column is regression. Rows with a missing target are always dropped; rows with a
 * missing input are dropped (default) or imputed (`missing: "impute"`). Without a test file,
 * `testSplit` of the kept rows (0.2 by default) are drawn as the test set with a generator
 * seeded by `seed`; statistics and vocabularies come from the training rows only, the classes
 * from every kept row of the training file.
 *
 * The text is parsed once, streaming, into column storage (float64 per number, int32 per
 * string); the float32 inputs are then written column by column.
 */
export interface CsvTableOptions {
  readonly target: string;
  /** Input columns (default: every column but the target). */
  readonly features?: readonly string[];
  readonly drop?: readonly string[];
  readonly delimiter?: CsvDelimiter;
  /** Force a column's kind (e.g. an integer-coded category as "string"). */
  readonly columnKinds?: Readonly<Record<string, ColumnKind>>;
  /** Field texts that mean "missing" (default: empty, NA, NaN, null). */
  readonly missingValues?: readonly string[];
  readonly missing?: "drop" | "impute";
  readonly task?: "classification" | "regression";
  readonly testSplit?: number;
  readonly seed?: number;
  /** Most distinct values a string column (or class target) may have (default 1000). */
  readonly maxCategories?: number;
}

export interface CsvInput {
  /** The name errors give (a path, an upload's name). */
  readonly file: string;
  readonly source: CsvSource;
}

export interface CsvTable {
  readonly data: ArrayDataset;
  readonly preprocessing: TablePreprocessing;
  readonly report: {
    /** Data rows read (train file plus test file). */
    readonly rows: number;
    readonly droppedMissingTarget: number;
    readonly droppedMissingInput: number;
    readonly trainRows: number;
    readonly testRows: number;
  };
}

export const MAX_INTEGER_CLASSES = 20;
/** Most classes a forced classification of a number target may have. */
const MAX_CLASSES = 1000;

/** A parsed file: the columns it keeps, by name, and its number of data rows. */
interface ParsedTable {
  readonly file: string;
  readonly columns: ReadonlyMap<string, TableColumn>;
  readonly rows: number;
}

function listColumns(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}

/** The input columns and target from the header, checked against the options. */
function selectColumns(header: readonly string[], options: CsvTableOptions, file: string) {
  const fail = (message: string): never => {
    throw new DataFileError(file, message, { line: 1 });
  };
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) fail(`column "${name}" appears twice in the header`);
    seen.add(name);
  }
  const unknown = (names: readonly string[], what: string) => {
    const missing = names.filter((n) => !seen.has(n));
    if (missing.length > 0) {
      fail(
        `${what} ${listColumns(missing)} not in the header; the columns are ${listColumns(header)}`,
      );
    }
  };
  unknown([options.target], "target");
  unknown(options.features ?? [], "feature");
  unknown(options.drop ?? [], "dropped column");
  unknown(Object.keys(options.columnKinds ?? {}), "columnKinds names");
  if (options.features?.includes(options.target))
    fail(`the target "${options.target}" is also a feature`);
  const drop = new Set([...(options.drop ?? []), options.target]);
  const inputs = (options.features ?? header).filter((name) => !drop.has(name));
  if (inputs.length === 0) fail(`no input columns left besides the target "${options.target}"`);
  return inputs;
}

async function parseTable(
  input: CsvInput,
  options: CsvTableOptions,
  wanted: (header: readonly string[]) => readonly string[],
): Promise<ParsedTable> {
  const missingValues = new Set(options.missingValues ?? DEFAULT_MISSING_VALUES);
  const isMissing = (text: string) => missingValues.has(text.trim());
  const columns = new Map<string, TableColumn>();
  let picks: { at: number; column: TableColumn }[] = [];
  const rows = await readCsvRecords(
    input.source,
    input.file,
    { delimiter: options.delimiter },
    (header) => {
      for (const name of wanted(header)) {
        const kind = options.columnKinds?.[name];
        const max = options.maxCategories ?? 1000;
        columns.set(name, new TableColumn(name, input.file, isMissing, max, kind));
      }
      picks = [...columns.values()].map((column) => ({ at: header.indexOf(column.name), column }));
    },
    (fields, line) => {
      for (const { at, column } of picks) column.add(fields[at], line);
    },
  );
  return { file: input.file, columns, rows };
}

/** Row indices into a parsed table. */
type Rows = Int32Array;

/** The file's rows that are kept, and how many were dropped for which reason. */
function keptRows(table: ParsedTable, inputs: readonly string[], target: string, impute: boolean) {
  const targetColumn = table.columns.get(target)!;
  const inputColumns = inputs.map((name) => table.columns.get(name)!);
  const kept = new Int32Array(table.rows);
  let count = 0;
  let droppedMissingTarget = 0;
  let droppedMissingInput = 0;
  for (let row = 0; row < table.rows; row++) {
    if (targetColumn.isMissingAt(row)) droppedMissingTarget++;
    else if (!impute && inputColumns.some((c) => c.isMissingAt(row))) droppedMissingInput++;
    else kept[count++] = row;
  }
  return { kept: kept.subarray(0, count), droppedMissingTarget, droppedMissingInput };
}

function fitNumber(column: TableColumn, rows: Rows, file: string): ColumnPrep {
  let sum = 0;
  let count = 0;
  for (const row of rows) {
    const value = column.number(row);
    if (!Number.isNaN(value)) {
      sum += value;
      count++;
    }
  }
  if (count === 0) {
    throw new DataFileError(file, "no values in the training rows", { column: column.name });
  }
  const mean = sum / count;
  let squares = 0;
  for (const row of rows) {
    const value = column.number(row);
    if (!Number.isNaN(value)) squares += (value - mean) ** 2;
  }
  return { name: column.name, kind: "number", mean, variance: squares / count };
}

/** StringLookup's adapted vocabulary: training values by frequency, ties in string order. */
function fitString(column: TableColumn, rows: Rows): ColumnPrep {
  const counts = new Float64Array(column.distinct.length);
  for (const row of rows) {
    const code = column.code(row);
    if (code >= 0) counts[code]++;
  }
  const codes = [...counts.keys()].filter((code) => counts[code] > 0);
  codes.sort(
    (a, b) => counts[b] - counts[a] || compareStrings(column.distinct[a], column.distinct[b]),
  );
  return { name: column.name, kind: "string", vocabulary: codes.map((c) => column.distinct[c]) };
}

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function fitTarget(
  column: TableColumn,
  rows: Rows,
  task: CsvTableOptions["task"],
  file: string,
): TablePreprocessing["target"] {
  const name = column.name;
  if (column.kind === "string") {
    if (task === "regression") {
      throw new DataFileError(file, "regression needs a number target; this column holds text", {
        column: name,
      });
    }
    const present = new Set<string>();
    for (const row of rows) present.add(column.distinct[column.code(row)]);
    return { name, task: "classification", classNames: [...present].sort(compareStrings) };
  }
  // Distinct values are collected only up to MAX_CLASSES: a regression target has a million.
  const values = new Set<number>();
  let integers = true;
  for (const row of rows) {
    const value = column.number(row);
    integers &&= Number.isInteger(value);
    if (values.size <= MAX_CLASSES) values.add(value);
  }
  const classify = task
    ? task === "classification"
    : integers && values.size <= MAX_INTEGER_CLASSES;
  if (!classify) return { name, task: "regression" };
  if (values.size > MAX_CLASSES) {
    throw new DataFileError(
      file,
      `more than ${MAX_CLASSES} distinct target values: too many classes`,
      {
        column: name,
      },
    );
  }
  const classNames = [...values].sort((a, b) => a - b).map(String);
  return { name, task: "classification", classNames };
}

/** The class name (or number) a kept row's target holds, as text or value. */
function targetText(column: TableColumn, row: number): string {
  return column.kind === "string" ? column.distinct[column.code(row)] : String(column.number(row));
}

/** Writes the inputs and targets of `rows` of `table` with the fitted preprocessing. */
function encodeRows(table: ParsedTable, rows: Rows, prep: TablePreprocessing): ArraySplit {
  const width = inputWidth(prep);
  const n = rows.length;
  const x = new Float32Array(n * width);
  let offset = 0;
  for (const column of prep.columns) {
    const source = table.columns.get(column.name)!;
    if (column.kind === "number") {
      for (let i = 0; i < n; i++) x[i * width + offset] = normalise(column, source.number(rows[i]));
    } else {
      // The slot for each of this file's distinct values (0, out of vocabulary, when unseen).
      const index = new Map(column.vocabulary.map((value, i) => [value, i + 1]));
      const slot = Int32Array.from(source.distinct, (value) => index.get(value) ?? 0);
      for (let i = 0; i < n; i++) {
        const code = source.code(rows[i]);
        x[i * width + offset + (code < 0 ? 0 : slot[code])] = 1;
      }
    }
    offset += columnWidth(column);
  }
  const target = table.columns.get(prep.target.name)!;
  const inputs = { data: x, shape: [n, width] };
  if (prep.target.task === "regression") {
    const y = Float32Array.from(rows, (row) => target.number(row));
    return { x: inputs, y: { kind: "numbers", data: y, outputs: 1 } };
  }
  const { classNames } = prep.target;
  const classOf = new Map(classNames.map((name, i) => [name, i]));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const text = targetText(target, rows[i]);
    const index = classOf.get(text);
    if (index === undefined) {
      throw new DataFileError(
        table.file,
        `class "${text}" is not among the training rows' classes (${classNames.join(", ")})`,
        { column: prep.target.name },
      );
    }
    y[i] = index;
  }
  return { x: inputs, y: { kind: "classes", data: y, classes: classNames.length, classNames } };
}

/** The kept rows split into train and test: a seeded draw of `testSplit` of them for test. */
function splitRows(kept: Rows, testSplit: number, seed: number) {
  if (!(testSplit >= 0 && testSplit < 1)) {
    throw new RangeError(`testSplit must be in [0, 1), got ${testSplit}`);
  }
  const order = Rng.fromSeed(seed).shuffle(kept.slice());
  const isTest = new Uint8Array(kept.length === 0 ? 0 : kept[kept.length - 1] + 1);
  for (const row of order.subarray(0, Math.round(kept.length * testSplit))) isTest[row] = 1;
  return {
    train: kept.filter((row) => isTest[row] === 0),
    test: kept.filter((row) => isTest[row] === 1),
  };
}

/** Reads `train` (and a separate `test` file, else a split of `train`) into arrays. */
export async function readCsvTable(
  train: CsvInput,
  options: CsvTableOptions,
  test?: CsvInput,
): Promise<CsvTable> {
  const impute = options.missing === "impute";
  let inputs: readonly string[] = [];
  const trainTable = await parseTable(train, options, (header) => {
    inputs = selectColumns(header, options, train.file);
    return [...inputs, options.target];
  });
  const trainKept = keptRows(trainTable, inputs, options.target, impute);
  const split = test
    ? { train: trainKept.kept, test: new Int32Array(0) }
    : splitRows(trainKept.kept, options.testSplit ?? 0.2, options.seed ?? 0);
  if (split.train.length === 0) {
    throw new DataFileError(
      train.file,
      `no training rows left (${trainTable.rows} read, ${trainKept.droppedMissingTarget + trainKept.droppedMissingInput} dropped for missing values)`,
    );
  }
  const columns = inputs.map((name) => {
    const column = trainTable.columns.get(name)!;
    if (column.kind === undefined) {
      throw new DataFileError(train.file, "every value is missing", { column: name });
    }
    return column.kind === "number"
      ? fitNumber(column, split.train, train.file)
      : fitString(column, split.train);
  });
  const prep: TablePreprocessing = {
    format: "shardfit-table-preprocessing",
    version: 1,
    columns,
    missing: impute ? "impute" : "drop",
    missingValues: [...(options.missingValues ?? DEFAULT_MISSING_VALUES)],
    // Classes from every kept row: a random split may leave a rare class in the test rows only.
    target: fitTarget(
      trainTable.columns.get(options.target)!,
      trainKept.kept,
      options.task,
      train.file,
    ),
  };
  if (prep.target.task === "classification" && prep.target.classNames.length < 2) {
    throw new DataFileError(
      train.file,
      `the target holds one class only (${prep.target.classNames[0]})`,
      {
        column: options.target,
      },
    );
  }
  let testTable = trainTable;
  let testKept = { kept: split.test, droppedMissingTarget: 0, droppedMissingInput: 0 };
  if (test) {
    // The test file is read with the training file's column kinds, by column name.
    const kinds = Object.fromEntries(
      [...trainTable.columns.values()].map((column) => [column.name, column.kind!]),
    );
    testTable = await parseTable(test, { ...options, columnKinds: kinds }, (header) => {
      const missing = [...inputs, options.target].filter((name) => !header.includes(name));
      if (missing.length > 0) {
        throw new DataFileError(
          test.file,
          `columns ${listColumns(missing)} of ${train.file} are not in the header; the columns are ${listColumns(header)}`,
          { line: 1 },
        );
      }
      return [...inputs, options.target];
    });
    testKept = keptRows(testTable, inputs, options.target, impute);
  }
  // Checked like a caller's arrays: a value beyond float32's range would be Infinity here.
  const data = validateArrayDataset(
    {
      train: encodeRows(trainTable, split.train, prep),
      test: encodeRows(testTable, testKept.kept, prep),
    },
    test ? `${train.file}, ${test.file}` : train.file,
  );
  return {
    data,
    preprocessing: prep,
    report: {
      rows: trainTable.rows + (test ? testTable.rows : 0),
      droppedMissingTarget:
        trainKept.droppedMissingTarget + (test ? testKept.droppedMissingTarget : 0),
      droppedMissingInput:
        trainKept.droppedMissingInput + (test ? testKept.droppedMissingInput : 0),
      trainRows: split.train.length,
      testRows: testKept.kept.length,
    },
  };
}
