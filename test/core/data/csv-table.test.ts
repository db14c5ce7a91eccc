import { describe, expect, test } from "bun:test";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromCsvFile } from "../../../src/adapter/fs/table-files.ts";
import { detectDelimiter, readCsvRecords } from "../../../src/core/data/csv-records.ts";
import { type CsvTableOptions, readCsvTable } from "../../../src/core/data/csv-table.ts";
import { DataFileError } from "../../../src/core/data/error.ts";
import {
  applyPreprocessing,
  parsePreprocessing,
  TableRowError,
} from "../../../src/core/data/table-prep.ts";

const read = (text: string, options: CsvTableOptions, testText?: string) =>
  readCsvTable(
    { file: "t.csv", source: text },
    options,
    testText === undefined ? undefined : { file: "test.csv", source: testText },
  );

/** Rows of a split's inputs, as plain arrays (float32 values). */
function rowsOf(x: { data: Float32Array; shape: readonly number[] }): number[][] {
  const [n, width] = x.shape;
  return Array.from({ length: n }, (_, i) =>
    Array.from(x.data.subarray(i * width, (i + 1) * width)),
  );
}

const f32 = Math.fround;

async function records(text: string) {
  const out: { header?: readonly string[]; rows: [readonly string[], number][] } = { rows: [] };
  await readCsvRecords(
    text,
    "r.csv",
    {},
    (h) => (out.header = h),
    (r, line) => out.rows.push([r, line]),
  );
  return out;
}

describe("CSV records", () => {
  test("RFC 4180 quoting: delimiters, line ends and doubled quotes inside quotes", async () => {
    // (A CRLF inside quotes would count as two lines: csv-parse counts its CR and LF apart.)
    const r = await records('name,note\r\n"a,b","say ""hi""\nthere"\r\nc,\r\n');
    expect(r.header).toEqual(["name", "note"]);
    expect(r.rows).toEqual([
      [["a,b", 'say "hi"\nthere'], 3],
      [["c", ""], 4],
    ]);
  });

  test("the delimiter is the one the header holds most of, outside quotes", async () => {
    expect(detectDelimiter("a;b;c")).toBe(";");
    expect(detectDelimiter("a\tb\tc,d")).toBe("\t");
    expect(detectDelimiter('"x;y;z",b')).toBe(",");
    expect(detectDelimiter("single")).toBe(",");
    expect((await records("a;b\n1,5;2\n")).rows[0][0]).toEqual(["1,5", "2"]);
    expect((await records("a\tb\n1;5\t2\n")).rows[0][0]).toEqual(["1;5", "2"]);
  });

  test("a BOM, blank lines and a missing final line end", async () => {
    const r = await records("\uFEFFa,b\n\n1,2\n\n3,4");
    expect(r.header).toEqual(["a", "b"]);
    expect(r.rows.map(([row]) => row)).toEqual([
      ["1", "2"],
      ["3", "4"],
    ]);
  });

  test("chunks split anywhere, even inside a UTF-8 character, give the same records", async () => {
    const text = 'city,n\n"Zürich, CH",1\nMünchen,2\n';
    const bytes = new TextEncoder().encode(text);
    for (const cut of [1, 3, 9, 10, 11, 20]) {
      async function* chunks() {
        yield bytes.subarray(0, cut);
        yield bytes.subarray(cut);
      }
      const rows: (readonly string[])[] = [];
      await readCsvRecords(
        chunks(),
        "c.csv",
        {},
        () => {},
        (r) => rows.push(r),
      );
      expect(rows).toEqual([
        ["Zürich, CH", "1"],
        ["München", "2"],
      ]);
    }
  });
});

describe("CSV table: preprocessing as Keras's Normalization and StringLookup", () => {
  test("number columns: (x − mean) / √variance over the training rows (population variance)", async () => {
    const t = await read("a,b,y\n1,10,0.5\n2,10,1.5\n3,10,2.5\n4,10,3.5\n", {
      target: "y",
      testSplit: 0,
    });
    const [a, b] = t.preprocessing.columns;
    expect(a).toEqual({ name: "a", kind: "number", mean: 2.5, variance: 1.25 });
    // A constant column: variance 0, divided by Keras's epsilon instead, so all zeros.
    expect(b).toEqual({ name: "b", kind: "number", mean: 10, variance: 0 });
    const s = Math.sqrt(1.25);
    expect(rowsOf(t.data.train.x)).toEqual([1, 2, 3, 4].map((v) => [f32((v - 2.5) / s), 0]));
    expect(t.data.train.y).toEqual({
      kind: "numbers",
      data: Float32Array.of(0.5, 1.5, 2.5, 3.5),
      outputs: 1,
    });
    expect(t.data.test.x.shape).toEqual([0, 2]);
  });

  test("a separate test file is normalised with the training rows' statistics", async () => {
    const t = await read("a,y\n0,0.5\n4,1\n", { target: "y" }, "y,a,extra\n1,8,x\n2,-4,y\n");
    expect(t.preprocessing.columns[0]).toEqual({ name: "a", kind: "number", mean: 2, variance: 4 });
    expect(rowsOf(t.data.test.x)).toEqual([[3], [-3]]);
    expect(Array.from(t.data.test.y.data)).toEqual([1, 2]);
    expect(t.report).toEqual({
      rows: 4,
      droppedMissingTarget: 0,
      droppedMissingInput: 0,
      trainRows: 2,
      testRows: 2,
    });
  });

  test("string columns: one-hot with an out-of-vocabulary slot first, vocabulary by frequency", async () => {
    const train = "origin,y\nUSA,1.5\nJapan,2\nUSA,3\nEurope,4\nJapan,5\nUSA,6\n";
    const t = await read(train, { target: "y" }, "origin,y\nMars,1\nEurope,2\n");
    expect(t.preprocessing.columns[0]).toEqual({
      name: "origin",
      kind: "string",
      vocabulary: ["USA", "Japan", "Europe"],
    });
    expect(rowsOf(t.data.train.x)).toEqual([
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 1],
      [0, 0, 1, 0],
      [0, 1, 0, 0],
    ]);
    expect(rowsOf(t.data.test.x)).toEqual([
      [1, 0, 0, 0],
      [0, 0, 0, 1],
    ]);
  });

  test("ties in frequency are broken in string order", async () => {
    const t = await read("c,y\nb,1.5\na,2\nc,3\n", { target: "y", testSplit: 0 });
    expect(t.preprocessing.columns[0]).toMatchObject({ vocabulary: ["a", "b", "c"] });
  });

  test("an integer-coded category declared a string column", async () => {
    const t = await read("origin,y\n1,1.5\n2,2\n1,3\n", {
      target: "y",
      testSplit: 0,
      columnKinds: { origin: "string" },
    });
    expect(t.preprocessing.columns[0]).toMatchObject({ kind: "string", vocabulary: ["1", "2"] });
    expect(Array.from(applyPreprocessing(t.preprocessing, { origin: 2 }))).toEqual([0, 0, 1]);
  });
});

describe("CSV table: columns, missing values, targets, split", () => {
  const cars = [
    "MPG,Cylinders,Horsepower,Origin,Name",
    "18,8,130,USA,chevrolet",
    "15,8,165,USA,buick",
    "24,4,NA,Japan,toyota",
    "26.5,4,46,Europe,vw",
    ",6,88,USA,ford",
    "31.2,4,65,,datsun",
    "22,6,100,USA,amc",
  ].join("\n");

  test("features / drop choose the inputs; the target is never an input", async () => {
    const a = await read(cars, { target: "MPG", drop: ["Name"], testSplit: 0 });
    expect(a.preprocessing.columns.map((c) => c.name)).toEqual([
      "Cylinders",
      "Horsepower",
      "Origin",
    ]);
    const b = await read(cars, { target: "MPG", features: ["Origin", "Cylinders"], testSplit: 0 });
    expect(b.preprocessing.columns.map((c) => c.name)).toEqual(["Origin", "Cylinders"]);
  });

  test("rows with a missing value are dropped and counted; a missing target always", async () => {
    const t = await read(cars, { target: "MPG", drop: ["Name"], testSplit: 0 });
    expect(t.report).toMatchObject({
      rows: 7,
      droppedMissingTarget: 1,
      droppedMissingInput: 2,
      trainRows: 4,
    });
    expect(Array.from(t.data.train.y.data)).toEqual([18, 15, 26.5, 22]);
  });

  test("impute: the mean for numbers (0 once normalised), the OOV slot for strings", async () => {
    const t = await read(cars, { target: "MPG", drop: ["Name"], testSplit: 0, missing: "impute" });
    expect(t.report).toMatchObject({
      droppedMissingTarget: 1,
      droppedMissingInput: 0,
      trainRows: 6,
    });
    const hp = t.preprocessing.columns[1];
    const values = [130, 165, 46, 65, 100];
    const mean = values.reduce((s, v) => s + v) / 5;
    expect(hp.kind === "number" && hp.mean).toBeCloseTo(mean, 12);
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / 5;
    expect(hp.kind === "number" && hp.variance).toBeCloseTo(variance, 10);
    const rows = rowsOf(t.data.train.x);
    expect(rows[2][1]).toBe(0); // toyota's Horsepower NA
    expect(rows[4].slice(2)).toEqual([1, 0, 0, 0]); // datsun's Origin missing → OOV
  });

  test("missing markers are configurable (auto-mpg writes '?')", async () => {
    const t = await read("a,y\n1,2\n?,3\n5,4\n", {
      target: "y",
      testSplit: 0,
      missingValues: ["?"],
    });
    expect(t.report.droppedMissingInput).toBe(1);
    await expect(read("a,y\n1,2\n?,3\n", { target: "y", testSplit: 0 })).rejects.toThrow(
      't.csv (line 3, column "a"): "?" is not a number',
    );
  });

  test("target typing: strings and few-valued integers classify, other numbers regress", async () => {
    const species = await read("x,species\n1,setosa\n2,virginica\n3,setosa\n4,versicolor\n", {
      target: "species",
      testSplit: 0,
    });
    expect(species.preprocessing.target).toEqual({
      name: "species",
      task: "classification",
      classNames: ["setosa", "versicolor", "virginica"],
    });
    expect(species.data.train.y).toEqual({
      kind: "classes",
      data: Int32Array.of(0, 2, 0, 1),
      classes: 3,
      classNames: ["setosa", "versicolor", "virginica"],
    });
    const quality = await read("x,q\n1,10\n2,3\n3,5\n", { target: "q", testSplit: 0 });
    expect(quality.preprocessing.target).toMatchObject({ classNames: ["3", "5", "10"] });
    expect(Array.from(quality.data.train.y.data)).toEqual([2, 0, 1]);
    const many = Array.from({ length: 21 }, (_, i) => `${i},${i}`).join("\n");
    expect(
      (await read(`x,n\n${many}\n`, { target: "n", testSplit: 0 })).preprocessing.target.task,
    ).toBe("regression");
    const twenty = Array.from({ length: 20 }, (_, i) => `${i},${i}`).join("\n");
    expect(
      (await read(`x,n\n${twenty}\n`, { target: "n", testSplit: 0 })).preprocessing.target.task,
    ).toBe("classification");
    expect(
      (await read("x,y\n1,0.5\n2,1\n", { target: "y", testSplit: 0 })).preprocessing.target.task,
    ).toBe("regression");
  });

  test("the task can be forced", async () => {
    const r = await read("x,q\n1,10\n2,3\n", { target: "q", testSplit: 0, task: "regression" });
    expect(r.data.train.y).toEqual({ kind: "numbers", data: Float32Array.of(10, 3), outputs: 1 });
    await expect(read("x,s\n1,a\n2,b\n", { target: "s", task: "regression" })).rejects.toThrow(
      "regression needs a number target",
    );
  });

  test("testSplit: a seeded draw of round(n × split) rows, the rest in file order", async () => {
    const text = `x,y\n${Array.from({ length: 50 }, (_, i) => `${i},${i + 0.5}`).join("\n")}\n`;
    const a = await read(text, { target: "y", testSplit: 0.2, seed: 7 });
    const b = await read(text, { target: "y", testSplit: 0.2, seed: 7 });
    const c = await read(text, { target: "y", testSplit: 0.2, seed: 8 });
    expect(a.report).toMatchObject({ trainRows: 40, testRows: 10 });
    const trainY = Array.from(a.data.train.y.data);
    const testY = Array.from(a.data.test.y.data);
    expect([...trainY, ...testY].sort((p, q) => p - q)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 0.5),
    );
    expect(trainY).toEqual([...trainY].sort((p, q) => p - q));
    expect(Array.from(b.data.test.y.data)).toEqual(testY);
    expect(Array.from(c.data.test.y.data)).not.toEqual(testY);
    // Statistics from the 40 training rows only.
    const mean = trainY.reduce((s, v) => s + (v - 0.5), 0) / 40;
    expect(a.preprocessing.columns[0]).toMatchObject({ mean });
  });

  test("a class only in the test file is an error naming it", async () => {
    await expect(read("x,s\n1,a\n2,b\n", { target: "s" }, "x,s\n1,c\n")).rejects.toThrow(
      'test.csv (line 2, column "s"): class "c" is not among the training file\'s classes (a, b)',
    );
  });
});

describe("CSV table: the preprocessing applied to raw rows", () => {
  const text =
    "Cylinders;Displacement;Origin;MPG\n8;307;USA;18\n4;97;Japan;24\n4;98;Europe;26\n6;200;USA;21\n";

  test("applyPreprocessing on a training row's fields gives its input row", async () => {
    const t = await read(text, { target: "MPG", testSplit: 0, task: "regression" });
    const lines = text.trim().split("\n").slice(1);
    lines.forEach((line, i) => {
      const [Cylinders, Displacement, Origin] = line.split(";");
      const row = applyPreprocessing(t.preprocessing, {
        Cylinders: Number(Cylinders),
        Displacement,
        Origin,
      });
      expect(Array.from(row)).toEqual(rowsOf(t.data.train.x)[i]);
    });
  });

  test("the preprocessing survives JSON; bad JSON is refused", async () => {
    const t = await read(text, { target: "MPG", testSplit: 0, task: "regression" });
    const back = parsePreprocessing(JSON.parse(JSON.stringify(t.preprocessing)));
    expect(back).toEqual(t.preprocessing);
    const broken = {
      ...t.preprocessing,
      columns: [{ name: "a", kind: "number", mean: "1", variance: 1 }],
    };
    expect(() => parsePreprocessing(broken, "prep.json")).toThrow(
      /^prep\.json: columns\[0\]\.mean/,
    );
  });

  test("a missing, ill-typed or unknown field is a 400", async () => {
    const prep = (await read(text, { target: "MPG", testSplit: 0, task: "regression" }))
      .preprocessing;
    const ok = { Cylinders: 4, Displacement: 100, Origin: "Japan" };
    expect(() => applyPreprocessing(prep, { Cylinders: 4, Origin: "Japan" })).toThrow(
      'field "Displacement" is missing',
    );
    expect(() => applyPreprocessing(prep, { ...ok, Cylinders: "four" })).toThrow(
      'field "Cylinders" must be a finite number, got "four"',
    );
    expect(() => applyPreprocessing(prep, { ...ok, Origin: true })).toThrow(
      'field "Origin" must be a string, got true',
    );
    expect(() => applyPreprocessing(prep, { ...ok, Cylindres: 4 })).toThrow(
      'unknown field "Cylindres": expected Cylinders, Displacement, Origin',
    );
    try {
      applyPreprocessing(prep, {});
    } catch (error) {
      expect(error).toBeInstanceOf(TableRowError);
      expect((error as TableRowError).status).toBe(400);
    }
    // The target may come along; an unseen category is the OOV slot.
    expect(
      Array.from(applyPreprocessing(prep, { ...ok, Origin: "Mars", MPG: 30 })).slice(2),
    ).toEqual([1, 0, 0, 0]);
  });
});

describe("CSV table: bad files", () => {
  const fails = async (text: string, options: CsvTableOptions, message: string) => {
    const error = await read(text, options).catch((e) => e);
    expect(error).toBeInstanceOf(DataFileError);
    expect((error as Error).message).toBe(message);
  };

  test("a ragged row names its line", () =>
    fails(
      "a,b,y\n1,2,3\n4,5\n",
      { target: "y" },
      't.csv (line 3): 2 fields, the header has 3 (fields separated by ",")',
    ));

  test("a non-number in a number column names line, column and value", () =>
    fails(
      "a,y\n1,2\n3,4\nx7,5\n",
      { target: "y" },
      't.csv (line 4, column "a"): "x7" is not a number: the column holds numbers (line 2 has the first); make it a string column with columnKinds: { "a": "string" }, or list the text among the missing values',
    ));

  test("an empty file, a header alone", async () => {
    await fails("", { target: "y" }, "t.csv: empty file: expected a header line and data rows");
    await fails("a,y\n", { target: "y" }, "t.csv (line 2): no data rows after the header");
  });

  test("an unknown target lists the columns", () =>
    fails(
      "a,b\n1,2\n",
      { target: "price" },
      't.csv (line 1): target "price" not in the header; the columns are "a", "b"',
    ));

  test("an unknown feature, a duplicate column, an unclosed quote", async () => {
    await fails(
      "a,y\n1,2\n",
      { target: "y", features: ["b"] },
      't.csv (line 1): feature "b" not in the header; the columns are "a", "y"',
    );
    await fails(
      "a,y\n1,2\n",
      { target: "y", drop: ["b"] },
      't.csv (line 1): dropped column "b" not in the header; the columns are "a", "y"',
    );
    await fails(
      "a,a,y\n1,2,3\n",
      { target: "y" },
      't.csv (line 1): column "a" appears twice in the header',
    );
    const error = await read('a,y\n1,"2\n3,4\n', { target: "y" }).catch((e) => e);
    expect(error).toBeInstanceOf(DataFileError);
    expect(error.message).toMatch(/^t\.csv \(line 3\): Quote Not Closed/);
  });

  test("a string column with too many categories", async () => {
    const rows = Array.from({ length: 6 }, (_, i) => `v${i},${i}.5`).join("\n");
    await fails(
      `c,y\n${rows}\n`,
      { target: "y", maxCategories: 5 },
      't.csv (line 7, column "c"): more than 5 distinct values: too many categories to one-hot (drop the column, or raise maxCategories)',
    );
  });

  test("a column with no values, one class only", async () => {
    await fails(
      "a,b,y\n,1,2\n,2,3\n",
      { target: "y", missing: "impute" },
      't.csv (column "a"): every value is missing',
    );
    await fails(
      "a,y\n1,x\n2,x\n",
      { target: "y" },
      't.csv (column "y"): the target holds one class only (x)',
    );
  });

  test("a header line with no end within 1 MiB", async () => {
    await fails(
      `${"a".repeat(2 ** 20 + 10)}`,
      { target: "a" },
      "t.csv (line 1): no line end in the first 1048576 bytes: not a CSV table",
    );
  });
});

describe("tableFromCsvFile", () => {
  test("streams a file and a separate test file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shardfit-csv-"));
    await writeFile(join(dir, "train.csv"), "x\ty\n1\ta\n3\tb\n");
    await writeFile(join(dir, "test.csv"), "x\ty\n5\tb\n");
    const t = await tableFromCsvFile(
      join(dir, "train.csv"),
      { target: "y" },
      join(dir, "test.csv"),
    );
    expect(rowsOf(t.data.test.x)).toEqual([[3]]);
    expect(Array.from(t.data.test.y.data)).toEqual([1]);
    await expect(tableFromCsvFile(join(dir, "nope.csv"), { target: "y" })).rejects.toThrow(
      `${join(dir, "nope.csv")}: file not found (expected a CSV table)`,
    );
  });
});

describe("CSV table: classes under a random split", () => {
  test("a class whose only row is drawn for the test set is still a class", async () => {
    const text = "x,y\n1,a\n2,b\n3,a\n4,c\n5,b\n6,a\n";
    for (let seed = 0; seed < 20; seed++) {
      const t = await read(text, { target: "y", testSplit: 0.5, seed });
      expect(t.preprocessing.target).toMatchObject({ classNames: ["a", "b", "c"] });
      expect(t.data.train.y.kind === "classes" && t.data.train.y.classes).toBe(3);
    }
  });
});

describe("CSV table: reading passes", () => {
  test("a source that opens a fresh stream per pass; a file that changes between passes", async () => {
    let opened = 0;
    const texts = ["a,y\n1,2\n3,4\n5,6\n", "a,y\n1,2\n3,4\n5,6\n", "a,y\n1,2\n3,4\n5,6\n"];
    async function* chunks(text: string) {
      yield text;
    }
    const t = await readCsvTable(
      { file: "s.csv", source: () => chunks(texts[opened++]) },
      { target: "y", testSplit: 0 },
    );
    expect(opened).toBe(3);
    expect(t.report.trainRows).toBe(3);
    opened = 0;
    texts[1] = "a,y\n1,2\n3,4\n";
    await expect(
      readCsvTable(
        { file: "s.csv", source: () => chunks(texts[opened++]) },
        { target: "y", testSplit: 0 },
      ),
    ).rejects.toThrow("s.csv: the file changed while it was being read");
  });
});

describe("CSV table: bounded output", () => {
  test("one-hot encoding beyond MAX_INPUTS inputs per row is refused before allocating", async () => {
    // 70 string columns of 1,000 distinct values: 70,070 inputs per row.
    const columns = 70;
    const header = [...Array.from({ length: columns }, (_, j) => `c${j}`), "y"].join(",");
    const rows = Array.from({ length: 1000 }, (_, i) =>
      [...Array.from({ length: columns }, () => `v${i}`), i % 2].join(","),
    );
    const error = await read(`${header}\n${rows.join("\n")}\n`, {
      target: "y",
      testSplit: 0,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DataFileError);
    expect(error.message).toMatch(
      /^t\.csv: 70070 inputs per row, more than 65536 \(one-hot of "c0", "c1",/,
    );
  });
});

describe("CSV records: the header line", () => {
  test("blank lines before the header do not hide its delimiter", async () => {
    const r = await records("\n\r\na;b\n1;2\n");
    expect(r.header).toEqual(["a", "b"]);
    expect(r.rows).toEqual([[["1", "2"], 4]]);
  });
});
