import * as v from "valibot";
import type { ArrayDataset } from "../data/arrays.ts";
import {
  applyPreprocessing,
  inputWidth,
  parsePreprocessing,
  type TablePreprocessing,
  TableRowError,
} from "../data/table-prep.ts";
import { type ForwardModel, forward, pixelsToInputs } from "../model/forward.ts";
import { type ModelLayout, shapeSize } from "../model/sequential.ts";
import { validate } from "../validate.ts";
import { ModelFormatError } from "./topology.ts";

/**
 * How a model meets the world: what its inputs are made from and what its outputs mean. Saved
 * beside the weights (model.json's `userDefinedMetadata.shardfit_io`) and applied wherever the
 * model is used (`/predict`, `shardfit predict`, the page), so a table model takes raw rows by
 * column name and answers class names or numbers.
 * - input "pixels": values 0..255 scaled by 1/255, as MNIST and uint8 image arrays train;
 * - input "numbers": the model's inputs as they are;
 * - input "table": a raw row through the table preprocessing (normalisation, one-hot).
 */
export type InputEncoding =
  | { readonly kind: "pixels" }
  | { readonly kind: "numbers" }
  | { readonly kind: "table"; readonly preprocessing: TablePreprocessing };

export type OutputMeaning =
  | { readonly task: "classification"; readonly classNames: readonly string[] }
  | { readonly task: "regression"; readonly outputs: number };

export interface ModelIo {
  readonly input: InputEncoding;
  readonly output: OutputMeaning;
}

const IoSchema = v.strictObject({
  format: v.literal("shardfit-io"),
  version: v.literal(1),
  input: v.variant("kind", [
    v.strictObject({ kind: v.literal("pixels") }),
    v.strictObject({ kind: v.literal("numbers") }),
    v.strictObject({ kind: v.literal("table"), preprocessing: v.unknown() }),
  ]),
  output: v.variant("task", [
    v.strictObject({
      task: v.literal("classification"),
      classNames: v.pipe(v.array(v.string()), v.minLength(1)),
    }),
    v.strictObject({
      task: v.literal("regression"),
      outputs: v.pipe(v.number(), v.integer(), v.minValue(1)),
    }),
  ]),
});

export type ModelIoJson = { format: "shardfit-io"; version: 1 } & ModelIo;

export function modelIoJson(io: ModelIo): ModelIoJson {
  return { format: "shardfit-io", version: 1, ...io };
}

/**
 * A saved `shardfit_io` object, checked against the model it travels with: the table's input
 * width and the class count must be the layout's input and output sizes.
 */
export function parseModelIo(json: unknown, layout: ModelLayout, source: string): ModelIo {
  const fail = (text: string): never => {
    throw new ModelFormatError(source, `userDefinedMetadata.shardfit_io: ${text}`);
  };
  const parsed = validate(IoSchema, json, fail);
  const inputs = shapeSize(layout.inputShape);
  const outputs = shapeSize(layout.outputShape);
  const input: InputEncoding =
    parsed.input.kind === "table"
      ? {
          kind: "table",
          preprocessing: parsePreprocessing(
            parsed.input.preprocessing,
            `${source}: userDefinedMetadata.shardfit_io.input.preprocessing`,
          ),
        }
      : parsed.input;
  if (input.kind === "table" && inputWidth(input.preprocessing) !== inputs) {
    fail(`the table makes ${inputWidth(input.preprocessing)} inputs, the model takes ${inputs}`);
  }
  const width =
    parsed.output.task === "classification"
      ? parsed.output.classNames.length
      : parsed.output.outputs;
  // Two classes may be one sigmoid output: the probability of the second.
  const binary = parsed.output.task === "classification" && width === 2 && outputs === 1;
  if (width !== outputs && !binary) {
    fail(`${width} outputs described, the model has ${outputs}`);
  }
  return { input, output: parsed.output };
}

/** What a model saved without `shardfit_io` is: an MNIST-style pixel classifier (or regressor). */
export function defaultModelIo(layout: ModelLayout): ModelIo {
  const outputs = shapeSize(layout.outputShape);
  const last = layout.layers[layout.layers.length - 1]?.spec;
  const softmax = last?.kind === "dense" && last.activation === "softmax";
  return {
    input: { kind: "pixels" },
    output: softmax
      ? { task: "classification", classNames: Array.from({ length: outputs }, (_, k) => `${k}`) }
      : { task: "regression", outputs },
  };
}

/**
 * The io of a model trained on `data`: `pixels` when its inputs were uint8 images scaled by
 * 1/255, `table` with the preprocessing that made a CSV's rows.
 */
export function modelIoOf(
  data: ArrayDataset,
  input: { pixels?: boolean; preprocessing?: TablePreprocessing } = {},
): ModelIo {
  const y = data.train.y;
  const encoding: InputEncoding = input.preprocessing
    ? { kind: "table", preprocessing: input.preprocessing }
    : { kind: input.pixels ? "pixels" : "numbers" };
  const output: OutputMeaning =
    y.kind === "numbers"
      ? { task: "regression", outputs: y.outputs }
      : {
          task: "classification",
          classNames: y.classNames ?? Array.from({ length: y.classes }, (_, k) => `${k}`),
        };
  return { input: encoding, output };
}

/** One prediction, in the terms the io gives the outputs. */
export type IoPrediction =
  | {
      /** The most probable class's index. */
      readonly label: number;
      readonly className: string;
      readonly confidence: number;
      /** One per class, in `classNames` order. */
      readonly probabilities: number[];
    }
  | { readonly value: number }
  | { readonly values: number[] };

/** A model with what its inputs and outputs mean. */
export interface IoModel extends ForwardModel {
  readonly io: ModelIo;
}

/** Model input rows from raw table rows (a TableRowError, status 400, names a bad field). */
export function encodeRows(io: ModelIo, rows: readonly unknown[]): Float32Array {
  if (io.input.kind !== "table") {
    throw new TableRowError(
      'rows: this model takes no table rows; send "instances" of its input shape instead',
    );
  }
  const prep = io.input.preprocessing;
  const width = inputWidth(prep);
  const x = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    try {
      x.set(applyPreprocessing(prep, row as Record<string, unknown>), i * width);
    } catch (error) {
      if (!(error instanceof TableRowError)) throw error;
      throw new TableRowError(`rows[${i}]: ${error.message}`);
    }
  });
  return x;
}

/** Model input rows from instances of the input size (pixels are scaled; others kept). */
export function encodeInstances(
  io: ModelIo,
  instances: readonly ArrayLike<number>[],
): Float32Array {
  const size = instances[0]?.length ?? 0;
  const x = new Float32Array(instances.length * size);
  instances.forEach((instance, b) => {
    if (instance.length !== size) {
      throw new RangeError(`instance ${b} has ${instance.length} values, expected ${size}`);
    }
    const row = x.subarray(b * size, (b + 1) * size);
    if (io.input.kind === "pixels") pixelsToInputs(instance, row);
    else row.set(instance);
  });
  return x;
}

/** The forward pass over encoded inputs, each output row read as the io says. */
export function predictEncoded(model: IoModel, x: Float32Array, batch: number): IoPrediction[] {
  const out = forward(model, x, batch);
  const width = out.length / batch;
  return Array.from({ length: batch }, (_, b) => decodeRow(model.io.output, out, b * width, width));
}

function decodeRow(
  output: OutputMeaning,
  out: Float32Array,
  offset: number,
  width: number,
): IoPrediction {
  let row = Array.from(out.subarray(offset, offset + width));
  if (output.task === "regression") return width === 1 ? { value: row[0] } : { values: row };
  if (width === 1) row = [1 - row[0], row[0]];
  let label = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[label]) label = k;
  return {
    label,
    className: output.classNames[label],
    confidence: row[label],
    probabilities: row,
  };
}

/** What a table model's form shows: each input column with its kind and categories. */
export function describeInputs(io: ModelIo, inputShape: readonly number[]) {
  if (io.input.kind !== "table") {
    return { kind: io.input.kind, shape: [...inputShape] };
  }
  const prep = io.input.preprocessing;
  return {
    kind: "table" as const,
    shape: [...inputShape],
    columns: prep.columns.map((column) =>
      column.kind === "number"
        ? { name: column.name, type: "number" as const, mean: column.mean }
        : { name: column.name, type: "string" as const, categories: [...column.vocabulary] },
    ),
    missing: prep.missing,
    target: prep.target.name,
  };
}
