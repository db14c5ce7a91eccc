import { DataFileError } from "./error.ts";

/**
 * Column typing for CSV tables. A column's kind is given, or taken from its first non-missing
 * value: a number makes it a number column, and a later non-number in it is an error naming
 * the line and value. String columns collect their distinct values (at most `maxCategories`).
 */
export type ColumnKind = "number" | "string";

export const DEFAULT_MISSING_VALUES: readonly string[] = ["", "NA", "NaN", "null"];

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal number, or NaN for anything else (hex, `Infinity`, `1,5`, words). */
export function parseNumber(text: string): number {
  const trimmed = text.trim();
  return NUMBER.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** What the first reading pass learns about one column. */
export class ColumnSurvey {
  kind: ColumnKind | undefined;
  /** Distinct string values, each with its index in order of first appearance. */
  readonly distinct = new Map<string, number>();
  private kindLine = 0;

  constructor(
    readonly name: string,
    private readonly file: string,
    private readonly maxCategories: number,
    kind?: ColumnKind,
  ) {
    this.kind = kind;
  }

  /** Checks a non-missing field against the column's kind (deciding it on the first one). */
  observe(text: string, line: number): void {
    if (this.kind === undefined) {
      this.kind = Number.isNaN(parseNumber(text)) ? "string" : "number";
      this.kindLine = line;
    }
    if (this.kind === "number") this.checkNumber(text, line);
    else if (!this.distinct.has(text)) this.addDistinct(text, line);
  }

  private checkNumber(text: string, line: number): void {
    const value = parseNumber(text);
    if (Number.isFinite(value)) return;
    const why = Number.isNaN(value)
      ? this.kindLine > 0
        ? `the column holds numbers (line ${this.kindLine} has the first); make it a string column with columnKinds: { "${this.name}": "string" }, or list the text among the missing values`
        : "the column is a number column"
      : "it is out of float64 range";
    throw new DataFileError(this.file, `"${text}" is not a number: ${why}`, {
      line,
      column: this.name,
    });
  }

  private addDistinct(text: string, line: number): void {
    if (this.distinct.size >= this.maxCategories) {
      throw new DataFileError(
        this.file,
        `more than ${this.maxCategories} distinct values: too many categories to one-hot (drop the column, or raise maxCategories)`,
        { line, column: this.name },
      );
    }
    this.distinct.set(text, this.distinct.size);
  }
}
