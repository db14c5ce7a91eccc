import { CsvError, parse } from "csv-parse/stream";
import { DataFileError } from "./error.ts";

/**
 * CSV records from a stream of chunks, parsed by csv-parse (RFC 4180 quoting, a BOM, CRLF or
 * LF, empty lines skipped). The first record is the header; every other record must have as
 * many fields. The delimiter — comma, semicolon or tab — is the one the header line holds
 * most of, unless given. Memory is bounded by one record (at most MAX_RECORD_BYTES) plus
 * csv-parse's queue, whatever the file's size.
 */
export type CsvSource = string | Uint8Array | AsyncIterable<Uint8Array | string>;
export type CsvDelimiter = "," | ";" | "\t";

/** A record (or a header line) longer than this is an error, not a reason to buffer the file. */
export const MAX_RECORD_BYTES = 1 << 20;
const CHUNK = 1 << 16;

/** The source as byte chunks (csv-parse's stream takes bytes, not strings). */
async function* chunksOf(source: CsvSource): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  if (typeof source === "string" || source instanceof Uint8Array) {
    const bytes = typeof source === "string" ? encoder.encode(source) : source;
    for (let at = 0; at < bytes.length; at += CHUNK) yield bytes.subarray(at, at + CHUNK);
  } else {
    for await (const chunk of source)
      yield typeof chunk === "string" ? encoder.encode(chunk) : chunk;
  }
}

/** The delimiter the header line holds most of, outside quotes (comma when none). */
export function detectDelimiter(headerLine: string): CsvDelimiter {
  const counts = { ",": 0, ";": 0, "\t": 0 };
  let quoted = false;
  for (const c of headerLine) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && c in counts) counts[c as CsvDelimiter]++;
  }
  const best = (Object.keys(counts) as CsvDelimiter[]).reduce((a, b) =>
    counts[b] > counts[a] ? b : a,
  );
  return counts[best] > 0 ? best : ",";
}

/** Reads chunks until the first line end, to detect the delimiter without consuming the input. */
async function peekHeaderLine(
  chunks: AsyncIterator<Uint8Array>,
  file: string,
): Promise<{ line: string; seen: Uint8Array[] }> {
  const seen: Uint8Array[] = [];
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const next = await chunks.next();
    if (next.done) return { line: text, seen };
    seen.push(next.value);
    text +=
      typeof next.value === "string" ? next.value : decoder.decode(next.value, { stream: true });
    // Blank lines before the header are skipped, as csv-parse skips them.
    const start = text.search(/[^\r\n]/);
    const end = start < 0 ? -1 : text.slice(start).search(/[\r\n]/);
    if (end >= 0) return { line: text.slice(start, start + end), seen };
    if (text.length > MAX_RECORD_BYTES) {
      throw new DataFileError(
        file,
        `no line end in the first ${MAX_RECORD_BYTES} bytes: not a CSV table`,
        { line: 1 },
      );
    }
  }
}

function streamOf(seen: Uint8Array[], rest: AsyncIterator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(controller) {
      const head = seen.shift();
      if (head !== undefined) return controller.enqueue(head);
      const next = await rest.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await rest.return?.();
    },
  });
}

/** csv-parse's own errors (an unclosed quote, a quote inside a field…) as DataFileErrors. */
function csvError(error: unknown, file: string): unknown {
  if (!(error instanceof CsvError)) return error;
  const line = typeof error.lines === "number" ? error.lines : undefined;
  const detail = error.message.replace(/\s*(at|on) line \d+\.?$/, "");
  return new DataFileError(file, detail, { line });
}

export interface CsvReadOptions {
  readonly delimiter?: CsvDelimiter;
}

/**
 * Streams `source` through csv-parse: `onHeader` gets the column names, then `onRecord` each
 * data record with its 1-based line (the record's last line when a quoted field spans lines).
 * Returns the number of data records. Throws DataFileError for an empty file, a ragged
 * record, or malformed quoting.
 */
export async function readCsvRecords(
  source: CsvSource,
  file: string,
  options: CsvReadOptions,
  onHeader: (names: readonly string[]) => void,
  onRecord: (fields: readonly string[], line: number) => void,
): Promise<number> {
  const chunks = chunksOf(source)[Symbol.asyncIterator]();
  const { line, seen } = await peekHeaderLine(chunks, file);
  const delimiter = options.delimiter ?? detectDelimiter(line);
  const records = streamOf(seen, chunks).pipeThrough(
    parse({
      delimiter,
      bom: true,
      record_delimiter: ["\r\n", "\n"],
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      max_record_size: MAX_RECORD_BYTES,
    }),
  );
  const reader = records.getReader();
  let header: readonly string[] | undefined;
  let count = 0;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      const { record, info } = next.value as { record: string[]; info: { lines: number } };
      if (!header) {
        header = record;
        onHeader(header);
        continue;
      }
      if (record.length !== header.length) {
        const sep = delimiter === "\t" ? "tab" : `"${delimiter}"`;
        throw new DataFileError(
          file,
          `${record.length} field${record.length === 1 ? "" : "s"}, the header has ${header.length} (fields separated by ${sep})`,
          { line: info.lines },
        );
      }
      count++;
      onRecord(record, info.lines);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw csvError(error, file);
  }
  if (!header) throw new DataFileError(file, "empty file: expected a header line and data rows");
  if (count === 0) throw new DataFileError(file, "no data rows after the header", { line: 2 });
  return count;
}
