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

const BLOCK_BITS = 16;
const BLOCK = 1 << BLOCK_BITS;

/**
 * A typed array that grows in fixed blocks: no doubling, so no copy of everything read so far
 * and no capacity beyond one block (a 1,000,000-row column is 1,000,000 values, not 2^20).
 */
class BlockArray<T extends Float64Array | Int32Array> {
  length = 0;
  private readonly blocks: T[] = [];

  constructor(private readonly make: (n: number) => T) {}

  push(value: number): void {
    const at = this.length & (BLOCK - 1);
    if (at === 0) this.blocks.push(this.make(BLOCK));
    this.blocks[this.blocks.length - 1][at] = value;
    this.length++;
  }

  get(i: number): number {
    return this.blocks[i >>> BLOCK_BITS][i & (BLOCK - 1)];
  }
}

export class TableColumn {
  kind: ColumnKind | undefined;
  private readonly numbers = new BlockArray((n) => new Float64Array(n));
  private readonly codes = new BlockArray((n) => new Int32Array(n));
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
    return this.numbers.get(row);
  }

  /** The string's index in `distinct` (-1 when missing) — string columns only. */
  code(row: number): number {
    return this.codes.get(row);
  }

  isMissingAt(row: number): boolean {
    if (this.kind === undefined) return true;
    return this.kind === "number" ? Number.isNaN(this.numbers.get(row)) : this.codes.get(row) < 0;
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
