/** `shardfit predict --data FILE.csv` with a table model: the rows again, with the predictions. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveModelDir } from "../../src/adapter/fs/model-files.ts";
import { readCsvTable } from "../../src/core/data/csv-table.ts";
import { applyPreprocessing, type TablePreprocessing } from "../../src/core/data/table-prep.ts";
import { modelIoOf } from "../../src/core/format/model-io.ts";
import { forward } from "../../src/core/model/forward.ts";
import { initParams } from "../../src/core/model/init.ts";
import { dense, type ModelSpec, modelLayout } from "../../src/core/model/sequential.ts";
import { finished } from "../support/process.ts";

const TRAIN = "size,colour,kind\n1,red,a\n2,blue,b\n3,red,c\n4,green,a\n5,blue,b\n";
let dir: string;
let prep: TablePreprocessing;
const spec: ModelSpec = {
  inputShape: [5],
  layers: [dense(4, { activation: "relu" }), dense(3, { activation: "softmax" })],
};
const params = initParams(spec, 5);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-predict-table-"));
  const table = await readCsvTable(
    { file: "t.csv", source: TRAIN },
    { target: "kind", testSplit: 0 },
  );
  prep = table.preprocessing;
  const summary = {
    data: "t.csv",
    epochs: 0,
    batchSize: 1,
    workers: 1,
    seed: 0,
    testAccuracy: 0,
    testLoss: 0,
    trainSeconds: 0,
    date: "2026-12-07",
  };
  await saveModelDir(
    join(dir, "model"),
    spec,
    params,
    summary,
    modelIoOf(table.data, { preprocessing: prep }),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function predict(...args: string[]) {
  const proc = Bun.spawn(
    [process.execPath, "src/cli/predict.ts", "--model", join(dir, "model"), ...args],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  return finished(proc);
}

describe("shardfit predict --data FILE.csv", () => {
  test("every column of the file, then the predicted class and its probability", async () => {
    const file = join(dir, "new.csv");
    await writeFile(file, 'id,colour,size\n7,blue,2.5\n8,"red, dark",9\n');
    const run = await predict("--data", file);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("id,colour,size,predicted_kind,probability");
    expect(lines).toHaveLength(3);
    const rows = [
      { colour: "blue", size: "2.5" },
      { colour: "red, dark", size: "9" },
    ];
    rows.forEach((row, i) => {
      const p = forward({ layout: modelLayout(spec), params }, applyPreprocessing(prep, row));
      const best = p.indexOf(Math.max(...p));
      const fields = lines[i + 1].match(/("[^"]*"|[^,]+)/g)!;
      expect(fields[3]).toBe(["a", "b", "c"][best]);
      expect(Number(fields[4])).toBeCloseTo(p[best], 6);
    });
    expect(lines[2].startsWith('8,"red, dark",9,')).toBe(true);
  });

  test("--out writes the file whole; a bad row names its line and field and writes nothing", async () => {
    const good = join(dir, "good.csv");
    await writeFile(good, "size,colour\n1,red\n");
    const out = join(dir, "predictions.csv");
    expect((await predict("--data", good, "--out", out)).code).toBe(0);
    expect((await readFile(out, "utf8")).split("\n")[0]).toBe(
      "size,colour,predicted_kind,probability",
    );
    const bad = join(dir, "bad.csv");
    await writeFile(bad, "size,colour\n1,red\nbig,blue\n");
    const badOut = join(dir, "bad-predictions.csv");
    const run = await predict("--data", bad, "--out", badOut);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'bad.csv (line 3): field "size" must be a finite number, got "big"',
    );
    expect(existsSync(badOut)).toBe(false);
  });

  test("a file without a model column lists the file's columns", async () => {
    const file = join(dir, "nosize.csv");
    await writeFile(file, "colour\nred\n");
    const run = await predict("--data", file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'columns "size" of the model are not in the header; the columns are "colour"',
    );
  });
});
