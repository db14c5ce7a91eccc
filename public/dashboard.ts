/**
 * The training dashboard. It listens to `GET /events` (Server-Sent Events: the history so far,
 * then live), keeps the run's state, and redraws at most once per animation frame, so a burst
 * of history on a late open costs one render.
 */
import { formatDuration } from "../src/dashboard/curves.ts";
import type { DashboardMessage, MistakeImage } from "../src/dashboard/events.ts";
import { formatMetric, isFraction, metricPairs } from "../src/dashboard/metric-series.ts";
import { RunState } from "../src/dashboard/run-state.ts";
import { type ChartOptions, LineChart, predictedVsTrue } from "./dashboard-charts.ts";
import {
  confusionCaption,
  participantsNote,
  renderClasses,
  renderConfusion,
  renderMistakes,
  renderParticipants,
  renderWorkers,
  workersNote,
} from "./dashboard-results.ts";

const int = new Intl.NumberFormat("en-US");
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function must<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`dashboard: missing #${id}`);
  return node as T;
}

const run = new RunState();
const marks = () => run.marks;
const lossChart = new LineChart(must("loss-chart"), {
  series: [
    { label: "step", stroke: "rgba(47,111,222,0.3)", width: 1 },
    { label: "smoothed", stroke: "#2f6fde", width: 2 },
    { label: "train (epoch)", stroke: "#1b3f86", points: true },
    { label: "test (epoch)", stroke: "#e07b24", points: true },
  ],
  format: (v) => v.toFixed(4),
  axisFormat: (v) => String(Number(v.toPrecision(2))),
  logScale: true,
  marks,
});
const METRIC_SERIES: ChartOptions["series"] = [
  { label: "step", stroke: "rgba(47,111,222,0.3)", width: 1 },
  { label: "smoothed", stroke: "#2f6fde", width: 2 },
  { label: "train (epoch)", stroke: "#1b3f86", points: true },
  { label: "test (epoch)", stroke: "#e07b24", points: true },
];
/** The second chart shows the run's first compiled metric: accuracy until an epoch says. */
let metricName = "accuracy";
let accuracyChart = metricChart(metricName);

function metricChart(name: string): LineChart {
  must("metric-title").textContent = name.charAt(0).toUpperCase() + name.slice(1);
  if (isFraction(name)) {
    return new LineChart(must("accuracy-chart"), {
      series: METRIC_SERIES,
      format: (v) => `${(v * 100).toFixed(2)}%`,
      axisFormat: (v) => `${Number((v * 100).toFixed(1))}%`,
      marks,
    });
  }
  return new LineChart(must("accuracy-chart"), {
    series: METRIC_SERIES,
    format: (v) => v.toFixed(4),
    axisFormat: (v) => String(Number(v.toPrecision(3))),
    marks,
  });
}

/** The train or test value of `name` in an epoch's metrics. */
function epochValue(metrics: object | undefined, name: string, side: "train" | "test") {
  return metrics ? metricPairs(metrics).find((p) => p.name === name)?.[side] : undefined;
}
const throughputChart = new LineChart(must("throughput-chart"), {
  series: [{ label: "samples/s", stroke: "#2a8c55", width: 2 }],
  format: (v) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k` : v.toFixed(0)),
  marks,
});

const STATUS_TEXT = {
  waiting: "waiting for the run…",
  training: "training",
  done: "done",
  failed: "failed",
  stopped: "stopped",
} as const;

function renderProgress(): void {
  const s = run.start;
  document.body.dataset.state = run.status;
  document.body.dataset.progress = String(run.done);
  must("state").textContent = STATUS_TEXT[run.status];
  if (!s) return;
  must("progress-bar").style.width = `${(run.fraction * 100).toFixed(2)}%`;
  const where =
    run.status === "training"
      ? `Epoch ${Math.min(run.epoch + 1, s.epochs)} / ${s.epochs} · step ${run.step} / ${s.steps}`
      : `${s.epochs} epochs · ${run.status}${run.endMessage ? `: ${run.endMessage}` : ""}`;
  must("progress-text").textContent = `${where} · ${(run.fraction * 100).toFixed(1)}%`;
  const eta = run.eta();
  const stats: [string, string][] = [
    ["elapsed", formatDuration(run.lastTime - run.startTime)],
    ["ETA", run.status !== "training" ? "–" : eta == null ? "estimating…" : formatDuration(eta)],
    ["throughput", `${int.format(Math.round(run.samplesPerSecond))} samples/s`],
  ];
  const last = run.rows.at(-1);
  if (last?.lossSmooth != null) stats.push(["loss", last.lossSmooth.toFixed(4)]);
  if (last?.accuracySmooth != null) stats.push(["accuracy", pct(last.accuracySmooth)]);
  must("stats").replaceChildren(
    ...stats.map(([k, v]) => {
      const span = document.createElement("span");
      const b = document.createElement("b");
      b.textContent = v;
      span.append(`${k} `, b);
      return span;
    }),
  );
}

/** A table; with `rowHeaders` the first cell of each row is a <th>. */
function table(head: string[], rows: (string | number)[][], rowHeaders = false): HTMLTableElement {
  const t = document.createElement("table");
  if (head.length) {
    const tr = t.createTHead().insertRow();
    for (const h of head)
      tr.append(Object.assign(document.createElement("th"), { textContent: h }));
  }
  const body = t.createTBody();
  for (const r of rows) {
    const row = body.insertRow();
    for (const [i, c] of r.entries()) {
      const header = rowHeaders && i === 0;
      const cell = header ? row.appendChild(document.createElement("th")) : row.insertCell();
      cell.textContent = String(c);
    }
  }
  return t;
}

/** Redrawn only when `start` or `settings` arrive: they do not change during a run. */
function renderSettings(): void {
  const s = run.start;
  if (!s) return;
  const o = run.settings;
  const shape = o ? [o.layers[0].inputs, ...o.layers.map((l) => l.units)].join("→") : "";
  must("summary").textContent = [
    shape,
    `${s.workers} workers`,
    `batch ${s.batchSize}`,
    o && `lr ${o.learningRate}`,
    o && `seed ${o.seed}`,
  ]
    .filter(Boolean)
    .join(" · ");
  const facts: [string, string][] = [
    ["Workers", String(s.workers)],
    ["Batch size", `${s.batchSize} (global)`],
    ["Epochs", `${s.epochs} × ${int.format(s.steps)} steps`],
    ["Train samples", int.format(s.trainSamples)],
  ];
  if (o) {
    facts.push(
      ["Test samples", int.format(o.testSamples)],
      ["Learning rate", String(o.learningRate)],
      ["Seed", String(o.seed)],
      ["Data", o.data],
    );
  }
  const parts: Node[] = [table([], facts, true)];
  if (o) {
    const layers = table(
      ["layer", "shape", "activation", "parameters"],
      [
        ...o.layers.map((l) => [
          l.name,
          `${l.inputs} → ${l.units}`,
          l.activation,
          int.format(l.parameters),
        ]),
        ["total", "", "", int.format(s.parameters)],
      ],
    );
    layers.style.marginTop = "8px";
    parts.push(layers);
  }
  must("settings").replaceChildren(...parts);
}

function renderCurves(): void {
  const rows = run.rows;
  const x = rows.map((r) => r.x);
  const column = (f: (r: (typeof rows)[number]) => number | null | undefined) =>
    rows.map((r) => f(r) ?? null);
  const latest = run.epochs().at(-1);
  const name = latest && metricPairs(latest).find((p) => p.name !== "loss")?.name;
  if (name && name !== metricName) {
    metricName = name;
    accuracyChart.destroy();
    accuracyChart = metricChart(name);
  }
  // The step curve is the step events' accuracy: shown only while the chart is of accuracy.
  const stepCurve = metricName === "accuracy";
  lossChart.update([
    x,
    column((r) => r.loss),
    column((r) => r.lossSmooth),
    column((r) => epochValue(r.epoch, "loss", "train")),
    column((r) => epochValue(r.epoch, "loss", "test")),
  ]);
  accuracyChart.update([
    x,
    column((r) => (stepCurve ? r.accuracy : null)),
    column((r) => (stepCurve ? r.accuracySmooth : null)),
    column((r) => epochValue(r.epoch, metricName, "train")),
    column((r) => epochValue(r.epoch, metricName, "test")),
  ]);
  const steps = rows.filter((r) => r.samplesPerSecond != null);
  throughputChart.update([steps.map((r) => r.x), steps.map((r) => r.samplesPerSecond)]);
}

function renderEpochs(): void {
  const epochs = run.epochs();
  if (epochs.length === 0) return;
  // Columns of every metric the run compiled, train then test (Keras's history order).
  const names = metricPairs(epochs[0]).map((p) => p.name);
  const short = (name: string) => (name === "accuracy" ? "acc." : name);
  must("epochs").replaceChildren(
    table(
      ["epoch", ...names.flatMap((n) => [`train ${short(n)}`, `test ${short(n)}`]), "time"],
      epochs.map((m) => [
        m.epoch,
        ...names.flatMap((n) => [
          formatMetric(n, epochValue(m, n, "train")),
          formatMetric(n, epochValue(m, n, "test")),
        ]),
        `${m.trainSeconds.toFixed(1)} s`,
      ]),
    ),
  );
}

function renderTimeline(): void {
  const timeline = must("timeline");
  timeline.replaceChildren(
    ...run.timeline.map((t) =>
      Object.assign(document.createElement("li"), { className: t.kind, textContent: t.text }),
    ),
  );
  timeline.scrollTop = timeline.scrollHeight;
}

function renderEvaluation(): void {
  const r = run.regression;
  if (r) {
    const { truth, predicted } = r;
    must("regression-card").classList.remove("hidden");
    const mae = truth.reduce((sum, t, i) => sum + Math.abs(predicted[i] - t), 0) / truth.length;
    must("regression-caption").textContent =
      `${int.format(truth.length)} test samples, mean absolute error ${mae.toFixed(4)}`;
    predictedVsTrue(must("regression-chart"), truth, predicted);
  }
  const e = run.evaluation;
  if (!e) return;
  for (const id of ["confusion-card", "classes-card"]) must(id).classList.remove("hidden");
  renderConfusion(must<HTMLTableElement>("confusion"), e.confusion);
  must("confusion-caption").textContent = confusionCaption(e.confusion);
  renderClasses(must("classes"), must("classes-caption"), e.confusion);
  // Mistakes are images: a table model has none to show.
  if (e.mistakes.length > 0) {
    must("mistakes-card").classList.remove("hidden");
    renderMistakes(must("mistakes"), e.mistakes as MistakeImage[], e.rows, e.cols);
  }
}

/** What was drawn last, to skip panels whose input did not change. */
const drawn = {
  settings: undefined as unknown,
  evaluation: undefined as unknown,
  regression: undefined as unknown,
  timeline: 0,
};
let renderQueued = false;

function render(): void {
  renderQueued = false;
  renderProgress();
  renderCurves();
  renderEpochs();
  if (run.workers.length) {
    renderWorkers(must("workers"), run.workers);
    must("workers-note").textContent = workersNote(run.workers);
  }
  if (run.participants.length) {
    must("participants-card").classList.remove("hidden");
    renderParticipants(must("participants"), run.participants);
    must("participants-note").textContent = participantsNote(run.participants);
  }
  if (drawn.settings !== (run.settings ?? run.start)) {
    drawn.settings = run.settings ?? run.start;
    renderSettings();
  }
  if (drawn.timeline !== run.timeline.length) {
    drawn.timeline = run.timeline.length;
    renderTimeline();
  }
  if (drawn.evaluation !== run.evaluation || drawn.regression !== run.regression) {
    drawn.evaluation = run.evaluation;
    drawn.regression = run.regression;
    renderEvaluation();
  }
}

const source = new EventSource("/events");
source.onopen = () => {
  document.body.dataset.connected = "true";
};
source.onmessage = (message) => {
  if (!run.apply(JSON.parse(message.data) as DashboardMessage)) return;
  // Nothing follows `end`; the server may be gone next, and EventSource would retry forever.
  if (run.status !== "training" && run.status !== "waiting") source.close();
  if (!renderQueued) {
    renderQueued = true;
    requestAnimationFrame(render);
  }
};
source.onerror = () => {
  document.body.dataset.connected = "false";
  if (run.status === "training" || run.status === "waiting") {
    must("state").textContent = "connection lost – retrying…";
  }
};
