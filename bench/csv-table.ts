/**
 * `bun bench/csv-table.ts [rows] [columns]`: writes a numeric CSV (default 1,000,000 × 20,
 * the last column the regression target) to the system temp folder unless it is already
 * there, reads it with tableFromCsvFile, and prints one JSON line: file size, rows, seconds
 * and this process's peak RSS (VmHWM). Run under `/usr/bin/time -f %M` for an outside view.
 */
import { createWriteStream, existsSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromCsvFile } from "../src/adapter/fs/table-files.ts";
import { Rng } from "../src/core/rng.ts";

const rows = Number(process.argv[2] ?? 1_000_000);
const columns = Number(process.argv[3] ?? 20);
const path = join(tmpdir(), `shardfit-bench-${rows}x${columns}.csv`);

async function writeTable(): Promise<void> {
  const out = createWriteStream(`${path}.tmp`);
  const rng = Rng.fromSeed(42);
  const names = Array.from({ length: columns }, (_, j) => (j === columns - 1 ? "target" : `f${j}`));
  out.write(`${names.join(",")}\n`);
  let block = "";
  for (let i = 0; i < rows; i++) {
    const fields = Array.from({ length: columns }, () => (rng.next() * 200 - 100).toFixed(4));
    block += `${fields.join(",")}\n`;
    if (block.length > 1 << 20 || i === rows - 1) {
      if (!out.write(block)) await new Promise((resolve) => out.once("drain", resolve));
      block = "";
    }
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error) => (error ? reject(error) : resolve())),
  );
  const { rename } = await import("node:fs/promises");
  await rename(`${path}.tmp`, path);
}

if (!existsSync(path)) await writeTable();
const start = performance.now();
const table = await tableFromCsvFile(path, { target: "target", testSplit: 0.1 });
const seconds = (performance.now() - start) / 1000;
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
console.log(
  JSON.stringify({
    file: path,
    fileMB: +(statSync(path).size / 2 ** 20).toFixed(1),
    trainRows: table.report.trainRows,
    testRows: table.report.testRows,
    inputs: table.data.train.x.shape[1],
    seconds: +seconds.toFixed(2),
    peakRssMB: hwm ? +(Number(hwm) / 1024).toFixed(1) : undefined,
  }),
);
