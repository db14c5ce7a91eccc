/**
 * The dashboard's plain-DOM panels: per-worker step times, the confusion matrix, accuracy
 * per class and the grid of most confident mistakes (28×28 images on canvas).
 */
import { decodeBase64Url } from "../src/core/format/base64url.ts";
import {
  type ConfusionMatrix,
  matrixTotals,
  perClassAccuracy,
} from "../src/core/metric/confusion.ts";
import type { ParticipantReport } from "../src/core/run/events.ts";
import type { MistakeImage, WorkerTiming } from "../src/dashboard/events.ts";

const pct = (v: number, digits = 1) => `${(v * 100).toFixed(digits)}%`;
const int = new Intl.NumberFormat("en-US");

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; title?: string } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title) node.title = props.title;
  node.append(...children);
  return node;
}

/** Names the slowest worker and what it costs the others, in words. */
export function workersNote(timings: readonly WorkerTiming[]): string {
  if (timings.length < 2) return "";
  const slowest = timings.reduce((a, b) => (b.computeMs > a.computeMs ? b : a));
  const others = timings.filter((t) => t !== slowest);
  const wait = others.reduce((a, t) => a + t.barrierMs, 0) / others.length;
  return `slowest: w${slowest.worker} (${slowest.computeMs.toFixed(1)} ms compute per step); the others wait ${wait.toFixed(1)} ms per step for it at the barriers`;
}

/** One row of a split-bar panel: a name, and a step's two parts in milliseconds. */
interface SplitRow {
  readonly name: string;
  readonly title?: string;
  readonly first: number;
  readonly second: number;
}

/** Rows of bars split in two parts (classes "compute" and `secondClass`), on a shared scale. */
function renderSplitBars(root: HTMLElement, rows: readonly SplitRow[], secondClass: string): void {
  const longest = Math.max(...rows.map((r) => r.first + r.second), 1e-9);
  const cells = rows.flatMap((r) => {
    const bar = el("div", { className: "wbar" });
    const part = (className: string, ms: number) => {
      const piece = el("div", { className, title: `${ms.toFixed(2)} ms` });
      piece.style.width = `${(100 * ms) / longest}%`;
      return piece;
    };
    bar.append(part("compute", r.first), part(secondClass, r.second));
    const total = r.first + r.second;
    return [
      el("span", { text: r.name, title: r.title }),
      bar,
      el("span", {
        text: `${total.toFixed(1)} (${r.first.toFixed(1)} + ${r.second.toFixed(1)})`,
      }),
    ];
  });
  root.replaceChildren(...cells);
}

/** One row per worker: a bar split into compute and barrier wait. */
export function renderWorkers(root: HTMLElement, timings: readonly WorkerTiming[]): void {
  const rows = timings.map((t) => ({
    name: `w${t.worker}`,
    first: t.computeMs,
    second: t.barrierMs,
  }));
  renderSplitBars(root, rows, "barrier");
}

/** One row per participant of a networked run: compute, then the gradient/weights exchange. */
export function renderParticipants(
  root: HTMLElement,
  participants: readonly ParticipantReport[],
): void {
  const rows = participants.map((p, i) => ({
    name: `p${i}`,
    title: p.label,
    first: p.computeMs,
    second: p.exchangeMs,
  }));
  renderSplitBars(root, rows, "network");
}

/** Where each participant runs, one line each (the bars name them p0, p1, …). */
export function participantsNote(participants: readonly ParticipantReport[]): string {
  return participants.map((p, i) => `p${i}: ${p.label}, ${p.slots} slot(s)`).join("; ");
}

/** Counts with the true label down and the prediction across; colour = share of the row. */
export function renderConfusion(table: HTMLTableElement, matrix: ConfusionMatrix): void {
  const classes = matrix.length;
  const head = el("tr", {}, el("th"));
  for (let p = 0; p < classes; p++) head.append(el("th", { className: "axis", text: String(p) }));
  head.append(el("th", { className: "axis", text: "n" }));
  const rows = matrix.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    const tr = el("tr", {}, el("th", { className: "axis", text: String(t) }));
    row.forEach((count, p) => {
      const share = total ? count / total : 0;
      // Errors are rare: stretch their colour so a 2% confusion is still visible.
      const alpha = t === p ? share : Math.min(1, share * 8);
      const td = el("td", {
        className: t === p ? "cell diag" : "cell",
        text: count ? int.format(count) : "",
        title: `true ${t}, predicted ${p}: ${count} (${pct(share)})`,
      });
      td.dataset.count = String(count);
      td.style.background = t === p ? `rgba(47,111,222,${alpha})` : `rgba(200,54,47,${alpha})`;
      if (alpha > 0.55) td.style.color = "#fff";
      tr.append(td);
    });
    tr.append(el("td", { className: "muted", text: int.format(total) }));
    return tr;
  });
  table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
}

export function confusionCaption(matrix: ConfusionMatrix): string {
  const { count, correct } = matrixTotals(matrix);
  return `rows: true label, columns: predicted · ${int.format(count)} test images · ${int.format(correct)} correct (${pct(correct / Math.max(count, 1), 2)})`;
}

/** Bars on an axis that starts just below the worst class, so 97% vs 99% is visible. */
export function renderClasses(
  root: HTMLElement,
  caption: HTMLElement,
  matrix: ConfusionMatrix,
): void {
  const classes = perClassAccuracy(matrix);
  const known = classes.flatMap((c) => (c.accuracy == null ? [] : [c.accuracy]));
  const floor = Math.max(0, Math.floor((Math.min(...known, 1) - 0.02) * 20) / 20);
  const mean = known.reduce((a, b) => a + b, 0) / Math.max(known.length, 1);
  caption.textContent = `axis from ${pct(floor, 0)} to 100% · orange: below the mean of the classes (${pct(mean)})`;
  root.replaceChildren(
    ...classes.flatMap((c) => {
      const bar = el("div", {
        className: c.accuracy != null && c.accuracy < mean ? "bar low" : "bar",
      });
      bar.style.width = `${c.accuracy == null ? 0 : (100 * (c.accuracy - floor)) / (1 - floor)}%`;
      const text =
        c.accuracy == null ? "no samples" : `${pct(c.accuracy)} (${c.correct}/${c.count})`;
      return [el("span", { text: String(c.label) }), el("div", {}, bar), el("span", { text })];
    }),
  );
}

export function renderMistakes(
  root: HTMLElement,
  mistakes: readonly MistakeImage[],
  rows: number,
  cols: number,
): void {
  root.replaceChildren(
    ...mistakes.map((m) => {
      const canvas = el("canvas");
      canvas.width = cols;
      canvas.height = rows;
      drawDigit(canvas, decodeBase64Url(m.pixels), rows, cols);
      const caption = el(
        "figcaption",
        {},
        `${m.label} → `,
        el("b", { text: String(m.predicted) }),
        ` (${pct(m.confidence, 0)})`,
      );
      const figure = el("figure", { title: `test image #${m.index}` }, canvas, caption);
      figure.dataset.label = String(m.label);
      figure.dataset.predicted = String(m.predicted);
      return figure;
    }),
  );
}

/** Ink dark on white, as the digit was written. */
function drawDigit(
  canvas: HTMLCanvasElement,
  pixels: Uint8Array,
  rows: number,
  cols: number,
): void {
  if (pixels.length !== rows * cols) {
    throw new RangeError(`mistake image: expected ${rows * cols} pixels, got ${pixels.length}`);
  }
  const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
  const image = ctx.createImageData(cols, rows);
  pixels.forEach((ink, i) => {
    const v = 255 - ink;
    image.data.set([v, v, v, 255], i * 4);
  });
  ctx.putImageData(image, 0, 0);
}
