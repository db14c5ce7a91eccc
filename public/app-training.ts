/**
 * "How this model was trained" on the drawing page: the per-epoch history and accuracy per
 * class from the training summary in model.json (models trained before 2026-11 have neither;
 * the section then stays hidden).
 */
import { perClassAccuracy } from "../src/core/confusion.ts";
import type { TrainingSummary } from "../src/core/model/layers-json.ts";

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
    table.append(row(["epoch", "train loss", "train acc.", "test loss", "test acc."], "th"));
    for (const m of summary.history) {
      table.append(
        row([
          String(m.epoch),
          m.trainLoss.toFixed(4),
          pct(m.trainAccuracy),
          m.testLoss.toFixed(4),
          pct(m.testAccuracy),
        ]),
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
