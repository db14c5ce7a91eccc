import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { readCsvRecords } from "../../core/data/csv-records.ts";
import { DataFileError } from "../../core/data/error.ts";
import { TableRowError } from "../../core/data/table-prep.ts";
import type { LoadedModel } from "../../core/format/layers-json.ts";
import { encodeRows, type IoPrediction, predictEncoded } from "../../core/format/model-io.ts";

/** Rows predicted per forward pass: bounded memory for any file size. */
const BATCH = 256;

/** A CSV field, quoted when it holds the delimiter, a quote or a line break (RFC 4180). */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A table model's predictions for the rows of a CSV file: each row as read (every column of
 * the file) followed by `predicted_<target>` and, for a classifier, `probability`. A row the
 * model cannot take is an error naming its line and field. With `out`, the CSV goes to a
 * temporary file renamed into place only when complete.
 */
export async function predictCsvFile(
  model: LoadedModel,
  file: string,
  out?: string,
  limit?: number,
): Promise<void> {
  const io = model.io;
  if (io.input.kind !== "table") {
    throw new Error(`${file}: this model was not trained on a table; it takes ${io.input.kind}`);
  }
  const prep = io.input.preprocessing;
  if (!(await stat(file).catch(() => undefined))?.isFile()) {
    throw new Error(`${file}: file not found (expected a CSV table)`);
  }
  const temp = out ? `${out}.tmp-${crypto.randomUUID().slice(0, 8)}` : undefined;
  const sink: WriteStream | NodeJS.WriteStream = temp ? createWriteStream(temp) : process.stdout;
  const regression = io.output.task === "regression";
  let columnAt: number[] = [];
  let pending: { fields: readonly string[]; line: number }[] = [];
  let rows = 0;
  const flush = () => {
    if (pending.length === 0) return;
    const objects = pending.map(({ fields }) =>
      Object.fromEntries(prep.columns.map((column, i) => [column.name, fields[columnAt[i]]])),
    );
    let x: Float32Array;
    try {
      x = encodeRows(io, objects);
    } catch (error) {
      if (!(error instanceof TableRowError)) throw error;
      const index = Number(/^rows\[(\d+)\]/.exec(error.message)?.[1] ?? 0);
      throw new DataFileError(file, error.message.replace(/^rows\[\d+\]: /, ""), {
        line: pending[index].line,
      });
    }
    const predictions = predictEncoded(model, x, pending.length);
    const text = pending.map(({ fields }, b) =>
      [...fields, ...predictionFields(predictions[b])].map(csvField).join(","),
    );
    sink.write(`${text.join("\n")}\n`);
    pending = [];
  };
  try {
    await readCsvRecords(
      createReadStream(file),
      file,
      {},
      (header) => {
        const missing = prep.columns.filter((column) => !header.includes(column.name));
        if (missing.length > 0) {
          throw new DataFileError(
            file,
            `columns ${missing.map((c) => `"${c.name}"`).join(", ")} of the model are not in the header; the columns are ${header.map((h) => `"${h}"`).join(", ")}`,
            { line: 1 },
          );
        }
        columnAt = prep.columns.map((column) => header.indexOf(column.name));
        const predicted = `predicted_${prep.target.name}`;
        sink.write(
          `${[...header, predicted, ...(regression ? [] : ["probability"])].map(csvField).join(",")}\n`,
        );
      },
      (fields, line) => {
        if (limit !== undefined && rows >= limit) return;
        rows++;
        pending.push({ fields, line });
        if (pending.length === BATCH) flush();
      },
    );
    flush();
    if (temp && out) {
      await new Promise<void>((resolve, reject) =>
        (sink as WriteStream).end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      await rename(temp, out);
    }
  } catch (error) {
    if (temp) {
      (sink as WriteStream).destroy();
      await rm(temp, { force: true });
    }
    throw error;
  }
}

function predictionFields(p: IoPrediction): (string | number)[] {
  if ("className" in p) return [p.className, p.confidence];
  return "value" in p ? [p.value] : [p.values.join(" ")];
}
