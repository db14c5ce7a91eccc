/**
 * A data file that cannot be read: names the file and, where it applies, the 1-based line and
 * the column, so the message alone says what to fix.
 */
export class DataFileError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly where: { readonly line?: number; readonly column?: string } = {},
  ) {
    const at = [
      where.line === undefined ? "" : `line ${where.line}`,
      where.column === undefined ? "" : `column "${where.column}"`,
    ]
      .filter(Boolean)
      .join(", ");
    super(`${file}${at ? ` (${at})` : ""}: ${detail}`);
    this.name = "DataFileError";
  }
}
