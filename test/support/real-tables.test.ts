import { describe, expect, test } from "bun:test";
import { readCsvTable } from "../../src/core/data/csv-table.ts";
import { bostonCsv, irisCsv } from "./real-tables.ts";

/** Rows of the published data sets (Boston rows 1-3; iris rows 1, 51 and 101). */
const BOSTON = [
  {
    crim: 0.00632,
    zn: 18,
    indus: 2.31,
    chas: 0,
    nox: 0.538,
    rm: 6.575,
    age: 65.2,
    dis: 4.09,
    rad: 1,
    tax: 296,
    ptratio: 15.3,
    b: 396.9,
    lstat: 4.98,
    medv: 24,
  },
  {
    crim: 0.02731,
    zn: 0,
    indus: 7.07,
    chas: 0,
    nox: 0.469,
    rm: 6.421,
    age: 78.9,
    dis: 4.9671,
    rad: 2,
    tax: 242,
    ptratio: 17.8,
    b: 396.9,
    lstat: 9.14,
    medv: 21.6,
  },
  {
    crim: 0.02729,
    zn: 0,
    indus: 7.07,
    chas: 0,
    nox: 0.469,
    rm: 7.185,
    age: 61.1,
    dis: 4.9671,
    rad: 2,
    tax: 242,
    ptratio: 17.8,
    b: 392.83,
    lstat: 4.03,
    medv: 34.7,
  },
];
const IRIS = [
  [5.1, 3.5, 1.4, 0.2, "setosa"],
  [7, 3.2, 4.7, 1.4, "versicolor"],
  [6.3, 3.3, 6, 2.5, "virginica"],
] as const;

describe("real tables as CSV", () => {
  test("Boston: 13 features and MEDV, a regression target", async () => {
    const text = bostonCsv(BOSTON);
    expect(text.split("\n")[0]).toBe(
      "CRIM,ZN,INDUS,CHAS,NOX,RM,AGE,DIS,RAD,TAX,PTRATIO,B,LSTAT,MEDV",
    );
    const t = await readCsvTable(
      { file: "boston.csv", source: text },
      { target: "MEDV", testSplit: 0 },
    );
    expect(t.data.train.x.shape).toEqual([3, 13]);
    expect(t.data.train.y).toEqual({
      kind: "numbers",
      data: Float32Array.of(24, 21.6, 34.7),
      outputs: 1,
    });
    expect(() => bostonCsv([{ ...BOSTON[0], rm: Number.NaN }])).toThrow("Boston row 0 rm");
  });

  test("iris: 4 features and the species as class names", async () => {
    const t = await readCsvTable(
      { file: "iris.csv", source: irisCsv(IRIS) },
      { target: "species", testSplit: 0 },
    );
    expect(t.data.train.x.shape).toEqual([3, 4]);
    expect(t.data.train.y).toEqual({
      kind: "classes",
      data: Int32Array.of(0, 1, 2),
      classes: 3,
      classNames: ["setosa", "versicolor", "virginica"],
    });
  });
});
