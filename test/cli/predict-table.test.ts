/** `shardfit predict --data FILE.csv` with a table model: the rows again, with the predictions. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyPreprocessing, type TablePreprocessing } from "../../src/core/data/table-prep.ts";
import { forward } from "../../src/core/model/forward.ts";
import { type ModelLayout, modelLayout } from "../../src/core/model/sequential.ts";
import { finished } from "../support/process.ts";
import { saveCarsModel } from "../support/table-model.ts";

let dir: string;
let prep: TablePreprocessing;
let model: { layout: ModelLayout; params: Float32Array };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-predict-table-"));
  const saved = await saveCarsModel(join(dir, "model"));
  prep = saved.preprocessing;
  model = { layout: modelLayout(saved.spec), params: saved.params };
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
    await writeFile(file, 'id,Origin,Weight,Cylinders\n7,Japan,2500,4\n8,"Mars, far",3900,8\n');
    const run = await predict("--data", file);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("id,Origin,Weight,Cylinders,predicted_Kind,probability");
    expect(lines).toHaveLength(3);
    const rows = [
      { Origin: "Japan", Weight: "2500", Cylinders: "4" },
      { Origin: "Mars, far", Weight: "3900", Cylinders: "8" },
    ];
    rows.forEach((row, i) => {
      const p = forward(model, applyPreprocessing(prep, row));
      const best = p.indexOf(Math.max(...p));
      const fields = lines[i + 1].match(/("[^"]*"|[^,]+)/g)!;
      expect(fields[4]).toBe(["big", "mid", "small"][best]);
      expect(Number(fields[5])).toBeCloseTo(p[best], 6);
    });
    expect(lines[2].startsWith('8,"Mars, far",3900,8,')).toBe(true);
  });

  test("--out writes the file whole; a bad row names its line and field and writes nothing", async () => {
    const good = join(dir, "good.csv");
    await writeFile(good, "Cylinders,Weight,Origin\n4,2000,USA\n");
    const out = join(dir, "predictions.csv");
    expect((await predict("--data", good, "--out", out)).code).toBe(0);
    expect((await readFile(out, "utf8")).split("\n")[0]).toBe(
      "Cylinders,Weight,Origin,predicted_Kind,probability",
    );
    const bad = join(dir, "bad.csv");
    await writeFile(bad, "Cylinders,Weight,Origin\n4,2000,USA\n4,heavy,USA\n");
    const badOut = join(dir, "bad-predictions.csv");
    const run = await predict("--data", bad, "--out", badOut);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'bad.csv (line 3): field "Weight" must be a finite number, got "heavy"',
    );
    expect(existsSync(badOut)).toBe(false);
  });

  test("a file without a model column lists the file's columns", async () => {
    const file = join(dir, "noweight.csv");
    await writeFile(file, "Cylinders,Origin\n4,USA\n");
    const run = await predict("--data", file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'columns "Weight" of the model are not in the header; the columns are "Cylinders", "Origin"',
    );
  });
});
