import * as v from "valibot";
import { show, validate } from "../validate.ts";
import { parseNumber } from "./table-columns.ts";

/**
 * How a table row becomes a model input, as plain data saved beside a model (JSON) and applied
 * to raw rows later, at prediction time. It does what Keras's preprocessing layers do once
 * adapted on the training rows:
 * - a number column is normalised like `Normalization`: (x − mean) / max(√variance, 1e-7), the
 *   mean and the population variance taken over the training rows;
 * - a string column is one-hot encoded like `StringLookup(num_oov_indices=1,
 *   output_mode="one_hot")`: slot 0 for a value not in the vocabulary, then one slot per
 *   training value, the most frequent first (ties in string order).
 * A missing value is imputed (the mean, i.e. 0 after normalising; the out-of-vocabulary slot)
 * when `missing` is "impute"; with "drop" such rows were dropped from training and a row to
 * predict must have every field.
 */
export const KERAS_EPSILON = 1e-7;

export interface NumberColumnPrep {
  name: string;
  kind: "number";
  mean: number;
  variance: number;
}
export interface StringColumnPrep {
  name: string;
  kind: "string";
  vocabulary: string[];
}
export type ColumnPrep = NumberColumnPrep | StringColumnPrep;
export type TargetPrep =
  | { name: string; task: "classification"; classNames: string[] }
  | { name: string; task: "regression" };
export interface TablePreprocessing {
  format: "shardfit-table-preprocessing";
  version: 1;
  columns: ColumnPrep[];
  missing: "drop" | "impute";
  missingValues: string[];
  target: TargetPrep;
}

const NumberColumn = v.strictObject({
  name: v.string(),
  kind: v.literal("number"),
  mean: v.pipe(v.number(), v.finite()),
  variance: v.pipe(v.number(), v.finite(), v.minValue(0)),
});
const StringColumn = v.strictObject({
  name: v.string(),
  kind: v.literal("string"),
  vocabulary: v.array(v.string()),
});
const Target = v.variant("task", [
  v.strictObject({
    name: v.string(),
    task: v.literal("classification"),
    classNames: v.pipe(v.array(v.string()), v.minLength(2)),
  }),
  v.strictObject({ name: v.string(), task: v.literal("regression") }),
]);
// Typed explicitly (JSR's public API needs it); the schema is checked against the type.
const Preprocessing: v.GenericSchema<TablePreprocessing> = v.strictObject({
  format: v.literal("shardfit-table-preprocessing"),
  version: v.literal(1),
  columns: v.pipe(v.array(v.variant("kind", [NumberColumn, StringColumn])), v.minLength(1)),
  missing: v.picklist(["drop", "impute"]),
  missingValues: v.array(v.string()),
  target: Target,
});

/** A row that cannot be turned into an input (a missing or ill-typed field): a 400 when served. */
export class TableRowError extends Error {
  readonly status = 400;
  constructor(message: string) {
    super(message);
    this.name = "TableRowError";
  }
}

/** A saved preprocessing object, checked (e.g. after JSON.parse). */
export function parsePreprocessing(json: unknown, source = "preprocessing"): TablePreprocessing {
  return validate(Preprocessing, json, (text) => {
    throw new Error(`${source}: ${text}`);
  });
}

/** Input numbers a column becomes: 1 for a number, the OOV slot plus the vocabulary for a string. */
export const columnWidth = (column: ColumnPrep): number =>
  column.kind === "number" ? 1 : 1 + column.vocabulary.length;

export const inputWidth = (prep: TablePreprocessing): number =>
  prep.columns.reduce((sum, column) => sum + columnWidth(column), 0);

/** The normalised value of a number (missing: NaN → 0, the mean's). */
export function normalise(column: NumberColumnPrep, value: number): number {
  if (Number.isNaN(value)) return 0;
  return (value - column.mean) / Math.max(Math.sqrt(column.variance), KERAS_EPSILON);
}

/** What a raw field holds: a number, a string, or nothing (absent, null or a missing marker). */
function fieldValue(prep: TablePreprocessing, column: ColumnPrep, row: Record<string, unknown>) {
  const raw = row[column.name];
  const missing =
    raw === undefined ||
    raw === null ||
    (typeof raw === "string" && prep.missingValues.includes(raw));
  if (missing) {
    if (prep.missing === "impute") return undefined;
    throw new TableRowError(`field "${column.name}" is missing (got ${show(raw)})`);
  }
  if (column.kind === "number") {
    const value = typeof raw === "string" ? parseNumber(raw) : raw;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new TableRowError(`field "${column.name}" must be a finite number, got ${show(raw)}`);
    }
    return value;
  }
  // Categories written as numbers (an integer-coded column declared a string column) match
  // their text.
  if (typeof raw === "number" && Number.isFinite(raw)) return String(raw);
  if (typeof raw !== "string") {
    throw new TableRowError(`field "${column.name}" must be a string, got ${show(raw)}`);
  }
  return raw;
}

/**
 * One raw row (`{ "Cylinders": 4, "Origin": "Japan" }`) as a float32 input row. The target
 * field may be present and is ignored; any other unknown field is an error (a misspelt column
 * would otherwise pass unnoticed as "missing").
 */
export function applyPreprocessing(
  prep: TablePreprocessing,
  row: Record<string, unknown>,
): Float32Array {
  if (typeof row !== "object" || row === null || Array.isArray(row)) {
    throw new TableRowError(
      `expected a row object with fields ${prep.columns.map((c) => c.name).join(", ")}`,
    );
  }
  const known = new Set([...prep.columns.map((c) => c.name), prep.target.name]);
  const unknown = Object.keys(row).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new TableRowError(
      `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}: expected ${prep.columns.map((c) => c.name).join(", ")}`,
    );
  }
  const out = new Float32Array(inputWidth(prep));
  let at = 0;
  for (const column of prep.columns) {
    const value = fieldValue(prep, column, row);
    if (column.kind === "number") {
      out[at] = normalise(column, value === undefined ? Number.NaN : (value as number));
    } else {
      out[at + 1 + column.vocabulary.indexOf(value as string)] = 1; // indexOf −1 → OOV slot 0
    }
    at += columnWidth(column);
  }
  return out;
}
