/**
 * The training dashboard. It listens to `GET /events` (Server-Sent Events: the history so far,
 * then live), keeps the run's state, and redraws at most once per animation frame, so a burst
 * of history on a late open costs one render.
 */
import { describeSpec } from "../src/core/spec.ts";
import { Ema, etaSeconds, formatDuration, type ProgressPoint } from "../src/dashboard/curves.ts";
import type { DashboardEvent, MistakeImage, WorkerTiming } from "../src/dashboard/events.ts";
import type { DashboardMessage } from "../src/server/dashboard.ts";
import { LineChart, type Mark } from "./dashboard-charts.ts";
import {
  confusionCaption,
  renderClasses,
  renderConfusion,
  renderMistakes,
  renderWorkers,
} from "./dashboard-results.ts";

type Of<T extends DashboardEvent["type"]> = Extract<DashboardEvent, { type: T }>;

/** TensorBoard's default smoothing. */
const SMOOTHING = 0.6;
const int = new Intl.NumberFormat("en-US");
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function must<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`dashboard: missing #${id}`);
  return node as T;
}

/** One x position of the curves: a step point, or an epoch's end (train and test metrics). */
interface Row {
  x: number;
  loss: number | null;
  lossSmooth: number | null;
  accuracy: number | null;
  accuracySmooth: number | null;
  samplesPerSecond: number | null;
  epoch?: Of<"epoch">["metrics"];
}

const run = {
  start: undefined as Of<"start"> | undefined,
  settings: undefined as Of<"settings"> | undefined,
  state: "waiting" as "waiting" | "training" | "done" | "failed" | "stopped",
  endMessage: "",
  startTime: 0,
  lastTime: 0,
  done: 0,
  epoch: 0,
  step: 0,
  samplesPerSecond: 0,
  firstProgress: undefined as ProgressPoint | undefined,
  rows: [] as Row[],
  marks: [] as Mark[],
  timeline: [] as { kind: string; text: string }[],
  workers: [] as WorkerTiming[],
  evaluation: undefined as Of<"evaluation"> | undefined,
  lastSeq: 0,
};
const lossEma = new Ema(SMOOTHING);
const accuracyEma = new Ema(SMOOTHING);

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
const accuracyChart = new LineChart(must("accuracy-chart"), {
  series: [
    { label: "step", stroke: "rgba(47,111,222,0.3)", width: 1 },
    { label: "smoothed", stroke: "#2f6fde", width: 2 },
    { label: "train (epoch)", stroke: "#1b3f86", points: true },
    { label: "test (epoch)", stroke: "#e07b24", points: true },
  ],
  format: (v) => `${(v * 100).toFixed(2)}%`,
  axisFormat: (v) => `${Number((v * 100).toFixed(1))}%`,
  marks,
});
const throughputChart = new LineChart(must("throughput-chart"), {
  series: [{ label: "samples/s", stroke: "#2a8c55", width: 2 }],
  format: (v) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k` : v.toFixed(0)),
  marks,
});

function addRow(row: Row): void {
  let at = run.rows.length;
  while (at > 0 && run.rows[at - 1].x > row.x) at--;
  run.rows.splice(at, 0, row);
}

function apply({ event, time }: DashboardMessage): void {
  run.lastTime = time / 1000;
  switch (event.type) {
    case "start":
      run.start = event;
      run.startTime = time / 1000;
      run.state = "training";
      break;
    case "settings":
      run.settings = event;
      break;
    case "step": {
      const x = event.epoch + event.step / event.steps;
      run.epoch = event.epoch;
      run.step = event.step;
      run.done = event.epoch * event.steps + event.step;
      run.samplesPerSecond = event.samplesPerSecond;
      if (event.step > 0) {
        run.firstProgress ??= { time: time / 1000, done: run.done };
        addRow({
          x,
          loss: event.loss,
          lossSmooth: lossEma.push(event.loss),
          accuracy: event.accuracy,
          accuracySmooth: accuracyEma.push(event.accuracy),
          samplesPerSecond: event.samplesPerSecond,
        });
      }
      break;
    }
    case "epoch": {
      const m = event.metrics;
      const steps = run.start?.steps ?? 0;
      run.epoch = m.epoch;
      run.step = 0;
      run.done = m.epoch * steps;
      addRow({
        x: m.epoch,
        loss: null,
        lossSmooth: null,
        accuracy: null,
        accuracySmooth: null,
        samplesPerSecond: null,
        epoch: m,
      });
      run.timeline.push({
        kind: "epoch",
        text: `epoch ${m.epoch}: test accuracy ${pct(m.testAccuracy)}, loss ${m.testLoss.toFixed(4)} (${m.trainSeconds.toFixed(1)} s)`,
      });
      break;
    }
    case "recovered": {
      const steps = run.start?.steps ?? 1;
      run.marks.push({ x: event.epoch + event.step / steps, kind: "recovered" });
      run.timeline.push({
        kind: "recovered",
        text: `epoch ${event.epoch + 1}, step ${event.step + 1}: worker ${event.workers.join(", ")} replaced (${event.reason})`,
      });
      break;
    }
    case "checkpoint":
      run.marks.push({ x: event.epoch, kind: "checkpoint" });
      run.timeline.push({
        kind: "checkpoint",
        text: `checkpoint after epoch ${event.epoch} → ${event.dir}`,
      });
      break;
    case "saved":
      run.timeline.push({ kind: "saved", text: `model saved → ${event.dir}` });
      break;
    case "workerTimes":
      run.workers = event.workers;
      break;
    case "evaluation":
      run.evaluation = event;
      break;
    case "end":
      run.state = event.status;
      run.endMessage = event.message ?? "";
      run.timeline.push({
        kind: event.status,
        text: `run ${event.status}${event.message ? `: ${event.message}` : ""}`,
      });
      break;
  }
}

function renderProgress(): void {
  const s = run.start;
  document.body.dataset.state = run.state;
  document.body.dataset.progress = String(run.done);
  const stateText = {
    waiting: "waiting for the run…",
    training: "training",
    done: "done",
    failed: "failed",
    stopped: "stopped",
  };
  must("state").textContent = stateText[run.state];
  if (!s) return;
  const total = s.epochs * s.steps;
  const fraction = total ? Math.min(1, run.done / total) : 0;
  must("progress-bar").style.width = `${(fraction * 100).toFixed(2)}%`;
  const where =
    run.state === "training"
      ? `Epoch ${Math.min(run.epoch + 1, s.epochs)} / ${s.epochs} · step ${run.step} / ${s.steps}`
      : `${s.epochs} epochs · ${run.state}${run.endMessage ? `: ${run.endMessage}` : ""}`;
  must("progress-text").textContent = `${where} · ${(fraction * 100).toFixed(1)}%`;
  const eta = run.firstProgress
    ? etaSeconds(run.firstProgress, { time: run.lastTime, done: run.done }, total)
    : null;
  const stats: [string, string][] = [
    ["elapsed", formatDuration(run.lastTime - run.startTime)],
    ["ETA", run.state !== "training" ? "–" : eta == null ? "estimating…" : formatDuration(eta)],
    ["throughput", `${int.format(Math.round(run.samplesPerSecond))} samples/s`],
  ];
  const last = run.rows.at(-1);
  if (last?.lossSmooth != null) stats.push(["loss", last.lossSmooth.toFixed(4)]);
  if (last?.accuracySmooth != null) stats.push(["accuracy", pct(last.accuracySmooth)]);
  must("stats").replaceChildren(
    ...stats.map(([k, v]) => {
      const span = document.createElement("span");
      span.append(`${k} `);
      const b = document.createElement("b");
      b.textContent = v;
      span.append(b);
      return span;
    }),
  );
}

function table(head: string[], rows: (string | number)[][]): HTMLTableElement {
  const t = document.createElement("table");
  const tr = t.createTHead().insertRow();
  for (const h of head) tr.append(Object.assign(document.createElement("th"), { textContent: h }));
  const body = t.createTBody();
  for (const r of rows) {
    const row = body.insertRow();
    for (const c of r) row.insertCell().textContent = String(c);
  }
  return t;
}

function renderSettings(): void {
  const s = run.start;
  if (!s) return;
  const o = run.settings;
  const spec = o && {
    inputSize: o.layers[0].inputs,
    hidden: o.layers.slice(0, -1).map((l) => l.units),
    classes: o.layers.at(-1)!.units,
  };
  const summary = [
    spec ? describeSpec(spec) : "",
    `${s.workers} workers`,
    `batch ${s.batchSize}`,
    o ? `lr ${o.learningRate}` : "",
    o ? `seed ${o.seed}` : "",
  ].filter(Boolean);
  must("summary").textContent = summary.join(" · ");
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
  const settings = table([], facts);
  for (const row of settings.tBodies[0].rows)
    row.cells[0].replaceWith(
      Object.assign(document.createElement("th"), { textContent: row.cells[0].textContent }),
    );
  const parts: Node[] = [settings];
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
  lossChart.update([
    x,
    rows.map((r) => r.loss),
    rows.map((r) => r.lossSmooth),
    rows.map((r) => r.epoch?.trainLoss ?? null),
    rows.map((r) => r.epoch?.testLoss ?? null),
  ]);
  accuracyChart.update([
    x,
    rows.map((r) => r.accuracy),
    rows.map((r) => r.accuracySmooth),
    rows.map((r) => r.epoch?.trainAccuracy ?? null),
    rows.map((r) => r.epoch?.testAccuracy ?? null),
  ]);
  const steps = rows.filter((r) => r.samplesPerSecond != null);
  throughputChart.update([steps.map((r) => r.x), steps.map((r) => r.samplesPerSecond)]);
}

function renderEpochs(): void {
  const epochs = run.rows.flatMap((r) => (r.epoch ? [r.epoch] : []));
  if (epochs.length === 0) return;
  must("epochs").replaceChildren(
    table(
      ["epoch", "train loss", "train acc.", "test loss", "test acc.", "time"],
      epochs.map((m) => [
        m.epoch,
        m.trainLoss.toFixed(4),
        pct(m.trainAccuracy),
        m.testLoss.toFixed(4),
        pct(m.testAccuracy),
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
}

function renderEvaluation(): void {
  const e = run.evaluation;
  if (!e) return;
  for (const id of ["confusion-card", "classes-card", "mistakes-card"])
    must(id).classList.remove("hidden");
  renderConfusion(must<HTMLTableElement>("confusion"), e.confusion);
  must("confusion-caption").textContent = confusionCaption(e.confusion);
  renderClasses(must("classes"), must("classes-caption"), e.confusion);
  renderMistakes(must("mistakes"), e.mistakes as MistakeImage[], e.rows, e.cols);
}

let renderQueued = false;
let evaluationShown: Of<"evaluation"> | undefined;
function render(): void {
  renderQueued = false;
  renderProgress();
  renderSettings();
  renderCurves();
  renderTimeline();
  renderEpochs();
  if (run.workers.length) renderWorkers(must("workers"), run.workers);
  if (run.evaluation !== evaluationShown) {
    evaluationShown = run.evaluation;
    renderEvaluation();
  }
}

const source = new EventSource("/events");
source.onopen = () => {
  document.body.dataset.connected = "true";
};
source.onmessage = (message) => {
  const data = JSON.parse(message.data) as DashboardMessage;
  if (data.seq <= run.lastSeq) return;
  run.lastSeq = data.seq;
  apply(data);
  if (!renderQueued) {
    renderQueued = true;
    requestAnimationFrame(render);
  }
};
source.onerror = () => {
  document.body.dataset.connected = "false";
  if (run.state === "training" || run.state === "waiting")
    must("state").textContent = "connection lost – retrying…";
};
