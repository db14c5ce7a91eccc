/** Small numeric and formatting helpers shared by the benchmark sections. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Index of the element closest to the median (to pick the "median run" of several). */
export function medianIndex(values: readonly number[]): number {
  const m = median(values);
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if (Math.abs(values[i] - m) < Math.abs(values[best] - m)) best = i;
  }
  return best;
}

export const fmt = (v: number, digits = 1) =>
  Number.isFinite(v)
    ? v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "n/a";

export const pct = (v: number, digits = 1) => `${fmt(100 * v, digits)}%`;

/** Renders rows as a plain-text table; the first row is the header. */
export function table(
  rows: readonly (readonly string[])[],
  align?: readonly ("l" | "r")[],
): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) =>
        (align?.[c] ?? (c === 0 ? "l" : "r")) === "l"
          ? cell.padEnd(widths[c])
          : cell.padStart(widths[c]),
      )
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join("\n");
}
