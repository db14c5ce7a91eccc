/**
 * "How this model was trained" on the drawing page: the per-epoch history and accuracy per
 * class from the training summary in model.json (models trained before 2026-11 have neither;
 * the section then stays hidden).
 */

import type { TrainingSummary } from "../src/core/format/layers-json.ts";
import { perClassAccuracy } from "../src/core/metric/confusion.ts";
import { formatMetric, metricPairs } from "../src/dashboard/metric-series.ts";

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function row(cells: string[], tag: "th" | "td" = "td"): HTMLTableRowElement {
  const tr = document.createElement("tr");
  for (const text of cells)
    tr.append(Object.assign(document.createElement(tag), { textContent: text }));
  return tr;
}

export function renderTraining(root: HTMLElement, summary: TrainingSummary | undefined): void {
  if (!summary?.history && !summary?.confusion) return;
  const parts: Node[] = [
    Object.assign(document.createElement("p"), {
      textContent: `${summary.epochs} epochs on ${summary.data}, ${summary.workers} workers, batch ${summary.batchSize}, seed ${summary.seed}`,
    }),
  ];
  if (summary.history) {
    const table = document.createElement("table");
    table.id = "training-history";
    // Whatever metrics the run compiled, train then test, as Keras's history has them.
    const names = summary.history[0] ? metricPairs(summary.history[0]).map((p) => p.name) : [];
    const short = (name: string) => (name === "accuracy" ? "acc." : name);
    table.append(
      row(["epoch", ...names.flatMap((n) => [`train ${short(n)}`, `test ${short(n)}`])], "th"),
    );
    for (const m of summary.history) {
      const pairs = metricPairs(m);
      const value = (name: string, side: "train" | "test") =>
        formatMetric(name, pairs.find((p) => p.name === name)?.[side]);
      table.append(
        row([String(m.epoch), ...names.flatMap((n) => [value(n, "train"), value(n, "test")])]),
      );
    }
    parts.push(table);
  }
  if (summary.confusion) {
    const table = document.createElement("table");
    table.id = "training-classes";
    const classes = perClassAccuracy(summary.confusion);
    table.append(row(["digit", ...classes.map((c) => String(c.label))], "th"));
    table.append(
      row(["test acc.", ...classes.map((c) => (c.accuracy == null ? "–" : pct(c.accuracy)))]),
    );
    parts.push(table);
  }
  root.append(...parts);
  root.hidden = false;
}
