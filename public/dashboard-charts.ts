/**
 * The dashboard's line charts: thin wrappers around uPlot (bundled, so nothing loads from the
 * network) that follow their container's width and draw the run's marks (recovered workers,
 * checkpoints) as vertical lines.
 */
import uPlot from "uplot";
import type { Mark } from "../src/dashboard/run-state.ts";

export interface SeriesStyle {
  readonly label: string;
  readonly stroke: string;
  readonly width?: number;
  readonly dash?: number[];
  /** Draw each point as a dot (for the sparse per-epoch series). */
  readonly points?: boolean;
}

export interface ChartOptions {
  readonly series: readonly SeriesStyle[];
  /** Values in the legend. */
  readonly format: (v: number) => string;
  /** Tick labels (default: `format`). */
  readonly axisFormat?: (v: number) => string;
  readonly logScale?: boolean;
  readonly marks: () => readonly Mark[];
}

const MARK_STYLE = {
  recovered: { stroke: "#c8362f", dash: [4, 3] },
  checkpoint: { stroke: "#2a8c55", dash: [1, 3] },
} as const;

export class LineChart {
  private readonly plot: uPlot;

  constructor(
    private readonly el: HTMLElement,
    options: ChartOptions,
  ) {
    const fmt = (v: number | null) => (v == null ? "–" : options.format(v));
    const tick = options.axisFormat ?? options.format;
    this.plot = new uPlot(
      {
        ...this.size(),
        scales: { x: { time: false }, y: options.logScale ? { distr: 3, log: 10 } : {} },
        axes: [
          {
            label: "epoch",
            size: 36,
            labelSize: 14,
            font: "11px system-ui",
            labelFont: "11px system-ui",
          },
          {
            size: 56,
            font: "11px system-ui",
            // uPlot passes null for ticks it leaves unlabelled (log scales).
            values: (_u, ticks) => ticks.map((t) => (t == null ? "" : tick(t))),
          },
        ],
        series: [
          { label: "epoch", value: (_u, v) => (v == null ? "–" : v.toFixed(2)) },
          ...options.series.map((s) => ({
            label: s.label,
            stroke: s.stroke,
            width: s.width ?? 1.5,
            dash: s.dash,
            spanGaps: true,
            points: { show: s.points ?? false, size: 6, fill: s.stroke },
            value: (_u: uPlot, v: number | null) => fmt(v),
          })),
        ],
        // Labels only: values appear on hover (a column of "–" would just be noise).
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        hooks: { draw: [(u: uPlot) => drawMarks(u, options.marks())] },
      },
      [[], ...options.series.map(() => [])],
      el,
    );
    let width = el.clientWidth;
    new ResizeObserver(() => {
      if (el.clientWidth === width) return;
      width = el.clientWidth;
      this.plot.setSize(this.size());
    }).observe(el);
  }

  destroy(): void {
    this.plot.destroy();
  }

  update(data: (number | null)[][]): void {
    this.plot.setData(data as uPlot.AlignedData);
    // For tests and screen readers: how many points the first series (the live curve) has.
    this.el.dataset.points = String(data[1].filter((v) => v != null).length);
  }

  private size(): { width: number; height: number } {
    const width = Math.max(240, this.el.clientWidth);
    return { width, height: width < 520 ? 190 : 230 };
  }
}

function drawMarks(u: uPlot, marks: readonly Mark[]): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.lineWidth = Math.max(1, devicePixelRatio);
  for (const mark of marks) {
    const x = Math.round(u.valToPos(mark.x, "x", true));
    if (x < bbox.left || x > bbox.left + bbox.width) continue;
    ctx.strokeStyle = MARK_STYLE[mark.kind].stroke;
    ctx.setLineDash(MARK_STYLE[mark.kind].dash.map((d) => d * devicePixelRatio));
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
  }
  ctx.restore();
}

/**
 * A regressor's test set: each sample's prediction (a dot) against its true value, with the
 * diagonal where a perfect model's dots would lie.
 */
export function predictedVsTrue(el: HTMLElement, truth: number[], predicted: number[]): void {
  const order = truth.map((_, i) => i).sort((a, b) => truth[a] - truth[b]);
  const xs = order.map((i) => truth[i]);
  const width = Math.max(240, el.clientWidth);
  const axis = { size: 48, font: "11px system-ui", labelFont: "11px system-ui", labelSize: 14 };
  el.replaceChildren();
  new uPlot(
    {
      width,
      height: Math.min(320, width),
      scales: { x: { time: false } },
      axes: [
        { ...axis, label: "true value" },
        { ...axis, label: "predicted" },
      ],
      series: [
        { label: "true" },
        {
          label: "predicted",
          stroke: "#2f6fde",
          paths: () => null,
          points: { show: true, size: 5, fill: "#2f6fde" },
        },
        { label: "predicted = true", stroke: "#9aa3b5", dash: [4, 3], points: { show: false } },
      ],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    },
    [xs, order.map((i) => predicted[i]), xs],
    el,
  );
  el.dataset.points = String(xs.length);
}
