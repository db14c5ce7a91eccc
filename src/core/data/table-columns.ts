import { DataFileError } from "./error.ts";

/**
 * One table column read row by row into compact storage: numbers as float64 (NaN when
 * missing), strings as indices into the column's distinct values (-1 when missing). A column's
 * kind is given, or taken from its first non-missing value: a number makes it a number column,
 * and a later non-number in it is an error naming the line and value.
 */
export type ColumnKind = "number" | "string";

export const DEFAULT_MISSING_VALUES: readonly string[] = ["", "NA", "NaN", "null"];

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal number, or NaN for anything else (hex, `Infinity`, `1,5`, words). */
export function parseNumber(text: string): number {
  const trimmed = text.trim();
  return NUMBER.test(trimmed) ? Number(trimmed) : Number.NaN;
}

class Growable<T extends Float64Array | Int32Array> {
  length = 0;
  constructor(
    public values: T,
    private readonly make: (n: number) => T,
  ) {}

  push(value: number): void {
    if (this.length === this.values.length) {
      const bigger = this.make(Math.max(1024, this.values.length * 2));
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }
}

export class TableColumn {
  kind: ColumnKind | undefined;
  readonly numbers = new Growable(new Float64Array(0), (n) => new Float64Array(n));
  readonly codes = new Growable(new Int32Array(0), (n) => new Int32Array(n));
  /** Distinct string values, in order of first appearance; `codes` index into it. */
  readonly distinct: string[] = [];
  private readonly codeOf = new Map<string, number>();
  /** Rows read while the kind was unknown (all missing). */
  private leadingMissing = 0;
  private kindLine = 0;

  constructor(
    readonly name: string,
    private readonly file: string,
    private readonly isMissing: (text: string) => boolean,
    private readonly maxCategories: number,
    kind?: ColumnKind,
  ) {
    this.kind = kind;
  }

  get length(): number {
    return this.kind === undefined
      ? this.leadingMissing
      : this.kind === "number"
        ? this.numbers.length
        : this.codes.length;
  }

  /** The value as a number (NaN when missing) — number columns only. */
  number(row: number): number {
    return this.numbers.values[row];
  }

  /** The string's index in `distinct` (-1 when missing) — string columns only. */
  code(row: number): number {
    return this.codes.values[row];
  }

  isMissingAt(row: number): boolean {
    if (this.kind === undefined) return true;
    return this.kind === "number"
      ? Number.isNaN(this.numbers.values[row])
      : this.codes.values[row] < 0;
  }

  add(text: string, line: number): void {
    if (this.isMissing(text)) {
      if (this.kind === undefined) this.leadingMissing++;
      else if (this.kind === "number") this.numbers.push(Number.NaN);
      else this.codes.push(-1);
      return;
    }
    if (this.kind === undefined) this.decideKind(text, line);
    if (this.kind === "number") this.addNumber(text, line);
    else this.addString(text, line);
  }

  private decideKind(text: string, line: number): void {
    this.kind = Number.isNaN(parseNumber(text)) ? "string" : "number";
    this.kindLine = line;
    const store = this.kind === "number" ? this.numbers : this.codes;
    for (let i = 0; i < this.leadingMissing; i++)
      store.push(this.kind === "number" ? Number.NaN : -1);
  }

  private addNumber(text: string, line: number): void {
    const value = parseNumber(text);
    if (!Number.isFinite(value)) {
      const why = Number.isNaN(value)
        ? this.kindLine > 0
          ? `the column holds numbers (line ${this.kindLine} has the first); make it a string column with columnKinds: { "${this.name}": "string" }, or list the text among the missing values`
          : "the column is declared a number column"
        : "it is out of float64 range";
      throw new DataFileError(this.file, `"${text}" is not a number: ${why}`, {
        line,
        column: this.name,
      });
    }
    this.numbers.push(value);
  }

  private addString(text: string, line: number): void {
    let code = this.codeOf.get(text);
    if (code === undefined) {
      if (this.distinct.length >= this.maxCategories) {
        throw new DataFileError(
          this.file,
          `more than ${this.maxCategories} distinct values: too many categories to one-hot (drop the column, or raise maxCategories)`,
          { line, column: this.name },
        );
      }
      code = this.distinct.length;
      this.distinct.push(text);
      this.codeOf.set(text, code);
    }
    this.codes.push(code);
  }
}
