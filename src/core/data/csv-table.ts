import {
  type ArrayDataset,
  type ArraySplit,
  type DenseInputs,
  validateArrayDataset,
} from "./arrays.ts";
import { type CsvDelimiter, type CsvSource, readCsvRecords } from "./csv-records.ts";
import { DataFileError } from "./error.ts";
import { Rng } from "./rng.ts";
import {
  type ColumnKind,
  ColumnSurvey,
  DEFAULT_MISSING_VALUES,
  parseNumber,
} from "./table-columns.ts";
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
 * round(`testSplit` × kept rows) rows (0.2 by default) are drawn as the test set with a
 * generator seeded by `seed`; statistics and vocabularies come from the training rows only,
 * the classes from every kept row of the training file.
 *
 * Memory stays near the size of the arrays produced, whatever the file's size: the text is
 * streamed three times — to type the columns and count the rows, to fit the preprocessing on
 * the training rows, and to write the float32 rows — and nothing per value is kept between.
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
  /** Most distinct values a string column (or a class target) may have (default 1000). */
  readonly maxCategories?: number;
}

/** Text read more than once: in memory, or a function opening a fresh stream each time. */
export type TableSource = string | Uint8Array | (() => AsyncIterable<Uint8Array | string>);

export interface CsvInput {
  /** The name errors give (a path, an upload's name). */
  readonly file: string;
  readonly source: TableSource;
}

export interface CsvTable {
  readonly data: ArrayDataset<DenseInputs>;
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
/**
 * Bounds on what one-hot encoding may make of a small file (1,000 string columns of 1,000
 * values would be a million inputs per row): inputs per row, and bytes per split's inputs.
 */
export const MAX_INPUTS = 65536;
export const MAX_SPLIT_BYTES = 2 ** 31;
const DEFAULT_MAX_CATEGORIES = 1000;

const listColumns = (names: readonly string[]) => names.map((n) => `"${n}"`).join(", ");

/** The input columns from the header, checked against the options. */
function selectInputs(header: readonly string[], options: CsvTableOptions, file: string): string[] {
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
  if (options.features?.includes(options.target)) {
    fail(`the target "${options.target}" is also a feature`);
  }
  const drop = new Set([...(options.drop ?? []), options.target]);
  const inputs = (options.features ?? header).filter((name) => !drop.has(name));
  if (inputs.length === 0) fail(`no input columns left besides the target "${options.target}"`);
  return inputs;
}

/** Where the used columns are in one file's header, and which rows that file keeps. */
class Layout {
  readonly inputAt: readonly number[];
  readonly targetAt: number;
  private readonly missingValues: ReadonlySet<string>;
  private readonly longestMarker: number;

  constructor(
    header: readonly string[],
    readonly inputs: readonly string[],
    target: string,
    options: CsvTableOptions,
    private readonly impute: boolean,
  ) {
    this.inputAt = inputs.map((name) => header.indexOf(name));
    this.targetAt = header.indexOf(target);
    this.missingValues = new Set(options.missingValues ?? DEFAULT_MISSING_VALUES);
    this.longestMarker = Math.max(0, ...[...this.missingValues].map((m) => m.length));
  }

  isMissing(text: string): boolean {
    // Most fields are longer than every marker and start and end with no space: no lookup.
    const n = text.length;
    if (n > this.longestMarker && text.charCodeAt(0) > 32 && text.charCodeAt(n - 1) > 32) {
      return false;
    }
    return this.missingValues.has(text.trim());
  }

  /** "target" or "input" when the row is dropped for a missing value, else "kept". */
  status(fields: readonly string[]): "target" | "input" | "kept" {
    if (this.isMissing(fields[this.targetAt])) return "target";
    if (!this.impute) {
      for (const at of this.inputAt) if (this.isMissing(fields[at])) return "input";
    }
    return "kept";
  }
}

function open(input: CsvInput): CsvSource {
  return typeof input.source === "function" ? input.source() : input.source;
}

/** What the first pass learns: column kinds and values, the row counts, the target's values. */
interface Survey {
  readonly layout: Layout;
  readonly inputs: readonly ColumnSurvey[];
  readonly target: ColumnSurvey;
  readonly rows: number;
  readonly kept: number;
  readonly droppedMissingTarget: number;
  readonly droppedMissingInput: number;
  /** The kept rows' target values (class keys, see classKey), up to maxCategories + 1. */
  readonly targetValues: ReadonlySet<string>;
  readonly targetIntegers: boolean;
}

/** A target field as a class: its text, or for a number column the number's canonical text. */
const classKey = (kind: ColumnKind, text: string) =>
  kind === "number" ? String(parseNumber(text)) : text;

async function survey(
  input: CsvInput,
  options: CsvTableOptions,
  chooseInputs: (header: readonly string[]) => readonly string[],
): Promise<Survey> {
  const max = options.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  const kinds = options.columnKinds ?? {};
  let layout: Layout | undefined;
  let inputs: ColumnSurvey[] = [];
  let target: ColumnSurvey | undefined;
  const targetValues = new Set<string>();
  const counts = { kept: 0, target: 0, input: 0 };
  let targetIntegers = true;
  const rows = await readCsvRecords(
    open(input),
    input.file,
    { delimiter: options.delimiter },
    (header) => {
      const names = chooseInputs(header);
      layout = new Layout(header, names, options.target, options, options.missing === "impute");
      inputs = names.map((name) => new ColumnSurvey(name, input.file, max, kinds[name]));
      target = new ColumnSurvey(options.target, input.file, max, kinds[options.target]);
    },
    (fields, line) => {
      const at = layout!.inputAt;
      for (let i = 0; i < inputs.length; i++) {
        const text = fields[at[i]];
        if (!layout!.isMissing(text)) inputs[i].observe(text, line);
      }
      const status = layout!.status(fields);
      counts[status]++;
      if (status !== "kept") return;
      const text = fields[layout!.targetAt];
      target!.observe(text, line);
      const key = classKey(target!.kind!, text);
      if (targetValues.size <= max) targetValues.add(key);
      targetIntegers &&= target!.kind === "number" && Number.isInteger(Number(key));
    },
  );
  return {
    layout: layout!,
    inputs,
    target: target!,
    rows,
    kept: counts.kept,
    droppedMissingTarget: counts.target,
    droppedMissingInput: counts.input,
    targetValues,
    targetIntegers,
  };
}

/** Which kept rows are test rows: a seeded draw of exactly round(kept × testSplit). */
function drawTestRows(kept: number, testSplit: number, seed: number): Uint8Array {
  if (!(testSplit >= 0 && testSplit < 1)) {
    throw new RangeError(`testSplit must be in [0, 1), got ${testSplit}`);
  }
  const order = Rng.fromSeed(seed).shuffle(Int32Array.from({ length: kept }, (_, i) => i));
  const isTest = new Uint8Array(kept);
  for (const row of order.subarray(0, Math.round(kept * testSplit))) isTest[row] = 1;
  return isTest;
}

/**
 * Calls `visit` with each kept row's fields, line and index among the kept rows. The survey
 * checked every number field, so `Number(text)` reads them as parseNumber would; the row
 * counts must match the survey's (a file replaced between passes would give other arrays).
 */
async function eachKeptRow(
  input: CsvInput,
  options: CsvTableOptions,
  surveyed: Survey,
  visit: (fields: readonly string[], line: number, kept: number) => void,
): Promise<void> {
  let kept = 0;
  const rows = await readCsvRecords(
    open(input),
    input.file,
    { delimiter: options.delimiter },
    () => {},
    (fields, line) => {
      if (surveyed.layout.status(fields) === "kept") visit(fields, line, kept++);
    },
  );
  if (rows !== surveyed.rows || kept !== surveyed.kept) {
    throw new DataFileError(input.file, "the file changed while it was being read");
  }
}

/** Shifted sums for a mean and population variance in one pass (shift: the first value). */
class Moments {
  private shift = Number.NaN;
  private count = 0;
  private sum = 0;
  private squares = 0;

  add(value: number): void {
    if (this.count === 0) this.shift = value;
    const d = value - this.shift;
    this.count++;
    this.sum += d;
    this.squares += d * d;
  }

  fit(name: string, file: string): ColumnPrep {
    if (this.count === 0) {
      throw new DataFileError(file, "no values in the training rows", { column: name });
    }
    const meanShift = this.sum / this.count;
    const variance = Math.max(0, this.squares / this.count - meanShift * meanShift);
    return { name, kind: "number", mean: this.shift + meanShift, variance };
  }
}

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** StringLookup's adapted vocabulary: training values by frequency, ties in string order. */
function vocabulary(name: string, counts: ReadonlyMap<string, number>): ColumnPrep {
  const values = [...counts.keys()];
  values.sort((a, b) => counts.get(b)! - counts.get(a)! || compareStrings(a, b));
  return { name, kind: "string", vocabulary: values };
}

/** Second pass: means, variances and vocabularies over the training rows. */
async function fitInputs(
  input: CsvInput,
  options: CsvTableOptions,
  surveyed: Survey,
  isTest: Uint8Array,
): Promise<ColumnPrep[]> {
  const { layout } = surveyed;
  const moments = surveyed.inputs.map(() => new Moments());
  const counts = surveyed.inputs.map(() => new Map<string, number>());
  await eachKeptRow(input, options, surveyed, (fields, _line, kept) => {
    if (isTest[kept]) return;
    for (let i = 0; i < surveyed.inputs.length; i++) {
      const text = fields[layout.inputAt[i]];
      if (layout.isMissing(text)) continue;
      if (surveyed.inputs[i].kind === "number") moments[i].add(Number(text));
      else counts[i].set(text, (counts[i].get(text) ?? 0) + 1);
    }
  });
  return surveyed.inputs.map((column, i) => {
    if (column.kind === undefined) {
      throw new DataFileError(input.file, "every value is missing", { column: column.name });
    }
    return column.kind === "number"
      ? moments[i].fit(column.name, input.file)
      : vocabulary(column.name, counts[i]);
  });
}

function fitTarget(
  surveyed: Survey,
  options: CsvTableOptions,
  file: string,
): TablePreprocessing["target"] {
  const { target, targetValues } = surveyed;
  const name = target.name;
  const fail = (message: string): never => {
    throw new DataFileError(file, message, { column: name });
  };
  if (target.kind === "string" && options.task === "regression") {
    fail("regression needs a number target; this column holds text");
  }
  const classify = options.task
    ? options.task === "classification"
    : target.kind === "string" ||
      (surveyed.targetIntegers && targetValues.size <= MAX_INTEGER_CLASSES);
  if (!classify) return { name, task: "regression" };
  const max = options.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  if (targetValues.size > max) fail(`more than ${max} distinct target values: too many classes`);
  const classNames =
    target.kind === "number"
      ? [...targetValues].sort((a, b) => Number(a) - Number(b))
      : [...targetValues].sort(compareStrings);
  if (classNames.length < 2) fail(`the target holds one class only (${classNames[0]})`);
  return { name, task: "classification", classNames };
}

/** One input row's encoder: each used field of a record → its normalised or one-hot numbers. */
function rowEncoder(prep: TablePreprocessing, layout: Layout) {
  const parts = prep.columns.map((column, i) => {
    const at = layout.inputAt[i];
    if (column.kind === "number") {
      return (fields: readonly string[], out: Float32Array, offset: number) => {
        const text = fields[at];
        out[offset] = normalise(column, layout.isMissing(text) ? Number.NaN : Number(text));
      };
    }
    const slot = new Map(column.vocabulary.map((value, v) => [value, v + 1]));
    return (fields: readonly string[], out: Float32Array, offset: number) => {
      const text = fields[at];
      out[offset + (layout.isMissing(text) ? 0 : (slot.get(text) ?? 0))] = 1;
    };
  });
  const widths = prep.columns.map(columnWidth);
  return (fields: readonly string[], out: Float32Array, offset: number) => {
    for (let i = 0; i < parts.length; i++) {
      parts[i](fields, out, offset);
      offset += widths[i];
    }
  };
}

/** Arrays for `count` rows, and a writer of one record into row `i`. */
function splitWriter(prep: TablePreprocessing, surveyed: Survey, count: number, file: string) {
  const { layout } = surveyed;
  const width = inputWidth(prep);
  const x = new Float32Array(count * width);
  const encode = rowEncoder(prep, layout);
  const regression = prep.target.task === "regression";
  const numbers = new Float32Array(regression ? count : 0);
  const classes = new Int32Array(regression ? 0 : count);
  const classNames = prep.target.task === "classification" ? prep.target.classNames : [];
  const classOf = new Map(classNames.map((name, c) => [name, c]));
  const write = (fields: readonly string[], line: number, i: number) => {
    encode(fields, x, i * width);
    const text = fields[layout.targetAt];
    if (regression) {
      numbers[i] = Number(text);
      return;
    }
    const c = classOf.get(classKey(surveyed.target.kind!, text));
    if (c === undefined) {
      throw new DataFileError(
        file,
        `class "${text}" is not among the training file's classes (${classNames.join(", ")})`,
        { line, column: prep.target.name },
      );
    }
    classes[i] = c;
  };
  const split = (): ArraySplit => ({
    x: { data: x, shape: [count, width] },
    y: regression
      ? { kind: "numbers", data: numbers, outputs: 1 }
      : { kind: "classes", data: classes, classes: classNames.length, classNames },
  });
  return { write, split };
}

function checkSize(prep: TablePreprocessing, rows: number, file: string): void {
  const width = inputWidth(prep);
  const strings = prep.columns.filter((c) => c.kind === "string").map((c) => c.name);
  const hint = `(one-hot of ${listColumns(strings)}: drop columns or lower maxCategories)`;
  if (width > MAX_INPUTS) {
    throw new DataFileError(file, `${width} inputs per row, more than ${MAX_INPUTS} ${hint}`);
  }
  if (rows * width * 4 > MAX_SPLIT_BYTES) {
    throw new DataFileError(
      file,
      `${rows} rows × ${width} inputs need ${rows * width * 4} bytes of float32, more than ${MAX_SPLIT_BYTES} ${strings.length ? hint : ""}`.trimEnd(),
    );
  }
}

/** Reads `train` (and a separate `test` file, else a split of `train`) into arrays. */
export async function readCsvTable(
  train: CsvInput,
  options: CsvTableOptions,
  test?: CsvInput,
): Promise<CsvTable> {
  const trainSurvey = await survey(train, options, (header) =>
    selectInputs(header, options, train.file),
  );
  const inputs = trainSurvey.layout.inputs;
  const isTest = test
    ? new Uint8Array(trainSurvey.kept)
    : drawTestRows(trainSurvey.kept, options.testSplit ?? 0.2, options.seed ?? 0);
  const testCount = isTest.reduce((sum, flag) => sum + flag, 0);
  const trainCount = trainSurvey.kept - testCount;
  if (trainCount === 0) {
    throw new DataFileError(
      train.file,
      `no training rows left (${trainSurvey.rows} read, ${trainSurvey.droppedMissingTarget + trainSurvey.droppedMissingInput} dropped for missing values)`,
    );
  }
  const prep: TablePreprocessing = {
    format: "shardfit-table-preprocessing",
    version: 1,
    columns: await fitInputs(train, options, trainSurvey, isTest),
    missing: options.missing === "impute" ? "impute" : "drop",
    missingValues: [...(options.missingValues ?? DEFAULT_MISSING_VALUES)],
    target: fitTarget(trainSurvey, options, train.file),
  };
  // The test file is read with the training file's column kinds, by column name.
  const kinds = Object.fromEntries(
    [...trainSurvey.inputs, trainSurvey.target].map((column) => [column.name, column.kind!]),
  );
  const testSurvey = test
    ? await survey(test, { ...options, columnKinds: kinds }, (header) => {
        const missing = [...inputs, options.target].filter((name) => !header.includes(name));
        if (missing.length > 0) {
          throw new DataFileError(
            test.file,
            `columns ${listColumns(missing)} of ${train.file} are not in the header; the columns are ${listColumns(header)}`,
            { line: 1 },
          );
        }
        return inputs;
      })
    : undefined;
  checkSize(prep, Math.max(trainCount, testSurvey?.kept ?? testCount), train.file);
  const trainOut = splitWriter(prep, trainSurvey, trainCount, train.file);
  const testOut = testSurvey
    ? splitWriter(prep, testSurvey, testSurvey.kept, test!.file)
    : splitWriter(prep, trainSurvey, testCount, train.file);
  let trainRow = 0;
  let testRow = 0;
  await eachKeptRow(train, options, trainSurvey, (fields, line, kept) => {
    if (isTest[kept]) testOut.write(fields, line, testRow++);
    else trainOut.write(fields, line, trainRow++);
  });
  if (test && testSurvey) {
    await eachKeptRow(test, options, testSurvey, (fields, line) =>
      testOut.write(fields, line, testRow++),
    );
  }
  // Checked like a caller's arrays: a value beyond float32's range would be Infinity here.
  // A table's inputs are dense: validation keeps the form it is given.
  const data = validateArrayDataset(
    { train: trainOut.split(), test: testOut.split() },
    test ? `${train.file}, ${test.file}` : train.file,
  ) as ArrayDataset<DenseInputs>;
  const surveys = testSurvey ? [trainSurvey, testSurvey] : [trainSurvey];
  const total = (key: "rows" | "droppedMissingTarget" | "droppedMissingInput") =>
    surveys.reduce((sum, s) => sum + s[key], 0);
  return {
    data,
    preprocessing: prep,
    report: {
      rows: total("rows"),
      droppedMissingTarget: total("droppedMissingTarget"),
      droppedMissingInput: total("droppedMissingInput"),
      trainRows: trainCount,
      testRows: testRow,
    },
  };
}
