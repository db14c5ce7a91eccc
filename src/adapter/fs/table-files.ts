import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { type CsvTable, type CsvTableOptions, readCsvTable } from "../../core/data/csv-table.ts";

/**
 * A CSV table from a file, streamed (never read whole), with an optional separate test file.
 * A missing file is an error naming it before any parsing starts.
 */
export async function tableFromCsvFile(
  path: string,
  options: CsvTableOptions,
  testPath?: string,
): Promise<CsvTable> {
  for (const file of testPath ? [path, testPath] : [path]) {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new Error(`${file}: file not found (expected a CSV table)`);
  }
  // Opened once per pass: the reader streams the file three times rather than holding it.
  const input = (file: string) => ({ file, source: () => createReadStream(file) });
  return readCsvTable(input(path), options, testPath ? input(testPath) : undefined);
}
