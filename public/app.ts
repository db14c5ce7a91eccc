/**
 * The model's page: a drawing pad for a 28×28 image model, a form built from the columns for a
 * model trained on a CSV table; its heading names the model it serves. It predicts in the browser: it fetches `/model.json` + `/weights.bin` once
 * and runs the same plain-TS forward pass the server uses (`model/forward.ts`), after the same
 * `preprocess.ts` (or the table preprocessing saved in model.json).
 * Chosen over calling `/predict` per stroke because predictions then follow the pen at frame
 * rate with no request per pointer move, the server does no work while people draw, and the
 * page keeps working on a flaky connection once the 1.6 MB of weights are loaded.
 */

import type { TablePreprocessing } from "../src/core/data/table-prep.ts";
import { fromLayersModel, type LoadedModel } from "../src/core/format/layers-json.ts";
import { encodeRows, predictEncoded } from "../src/core/format/model-io.ts";
import { preprocessGray, rgbToGray } from "../src/core/image/preprocess.ts";
import { describeSpec } from "../src/core/model/describe.ts";
import { predictPixels } from "../src/core/model/forward.ts";
import { shapeSize } from "../src/core/model/sequential.ts";
import { renderTraining } from "./app-training.ts";

const pad = must<HTMLCanvasElement>("pad");
const input = must<HTMLCanvasElement>("input");
const digit = must<HTMLElement>("digit");
const bars = must<HTMLElement>("bars");
const status = must<HTMLElement>("status");
const clear = must<HTMLButtonElement>("clear");
const title = must<HTMLElement>("title");
const subtitle = must<HTMLElement>("subtitle");
const imageInput = must<HTMLElement>("image-input");
const tableForm = must<HTMLFormElement>("table-form");

function must<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page: missing #${id}`);
  return el as T;
}

const ctx = pad.getContext("2d", { willReadFrequently: true }) as CanvasRenderingContext2D;
const inputCtx = input.getContext("2d") as CanvasRenderingContext2D;

// Thick, round strokes: MNIST digits are ~2–3 px wide at 28×28, i.e. ~20 px on this 280 px pad.
function resetPad(): void {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, pad.width, pad.height);
  ctx.lineWidth = 20;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#000";
  inputCtx.clearRect(0, 0, input.width, input.height);
  inked = false;
  showProbabilities(null);
}

const barEls: HTMLElement[] = [];
const pctEls: HTMLElement[] = [];

/** One bar per class, labelled by its name. */
function buildBars(classNames: readonly string[]): void {
  bars.replaceChildren();
  barEls.length = 0;
  pctEls.length = 0;
  classNames.forEach((name, k) => {
    const label = document.createElement("span");
    label.textContent = name;
    const track = document.createElement("div");
    track.className = "track";
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.dataset.digit = String(k);
    track.append(bar);
    const pct = document.createElement("span");
    pct.className = "pct";
    bars.append(label, track, pct);
    barEls.push(bar);
    pctEls.push(pct);
  });
}
buildBars(Array.from({ length: 10 }, (_, k) => String(k)));

function showProbabilities(
  probabilities: readonly number[] | null,
  label = -1,
  name?: string,
): void {
  digit.textContent = probabilities ? (name ?? String(label)) : "–";
  for (let k = 0; k < barEls.length; k++) {
    const p = probabilities ? probabilities[k] : 0;
    barEls[k].style.width = `${(p * 100).toFixed(1)}%`;
    barEls[k].dataset.p = p.toFixed(4);
    barEls[k].classList.toggle("top", k === label);
    pctEls[k].textContent = probabilities ? `${(p * 100).toFixed(1)}%` : "";
  }
}

let model: LoadedModel | null = null;
let inked = false;
let predictions = 0;
let scheduled = false;

function showInput(pixels28: Uint8Array): void {
  const image = inputCtx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    image.data.set([pixels28[i], pixels28[i], pixels28[i], 255], 4 * i);
  }
  inputCtx.putImageData(image, 0, 0);
}

function predictNow(): void {
  scheduled = false;
  if (!model || !inked || imageInput.hidden) return;
  // The server's PNG path does exactly this: RGBA → gray → MNIST-style 28×28.
  const { data, width, height } = ctx.getImageData(0, 0, pad.width, pad.height);
  const { pixels, hasInk } = preprocessGray(rgbToGray(data, width, height, 4));
  showInput(pixels);
  if (!hasInk) return;
  const { label, probabilities } = predictPixels(model, pixels);
  showProbabilities(probabilities, label);
  predictions++;
  document.body.dataset.predictions = String(predictions);
}

// At most one prediction per animation frame, however fast pointer events arrive.
function schedulePredict(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(predictNow);
}

function padPoint(event: PointerEvent): [number, number] {
  const rect = pad.getBoundingClientRect();
  return [
    ((event.clientX - rect.left) * pad.width) / rect.width,
    ((event.clientY - rect.top) * pad.height) / rect.height,
  ];
}

let drawing = false;
pad.addEventListener("pointerdown", (event) => {
  drawing = true;
  pad.setPointerCapture(event.pointerId);
  const [x, y] = padPoint(event);
  ctx.beginPath();
  ctx.moveTo(x, y);
  // A zero-length segment so a single tap leaves a dot.
  ctx.lineTo(x, y);
  ctx.stroke();
  inked = true;
  schedulePredict();
});
pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const [x, y] = padPoint(event);
  ctx.lineTo(x, y);
  ctx.stroke();
  schedulePredict();
});
const stop = () => {
  drawing = false;
};
pad.addEventListener("pointerup", stop);
pad.addEventListener("pointercancel", stop);
clear.addEventListener("click", resetPad);

async function loadModel(): Promise<LoadedModel> {
  const [json, weights] = await Promise.all([
    fetch("/model.json").then((r) => {
      if (!r.ok) throw new Error(`GET /model.json: HTTP ${r.status}`);
      return r.json();
    }),
    fetch("/weights.bin").then((r) => {
      if (!r.ok) throw new Error(`GET /weights.bin: HTTP ${r.status}`);
      return r.arrayBuffer();
    }),
  ]);
  return fromLayersModel(json, new Uint8Array(weights));
}

/** The form of a table model: a number box per number column, a menu per string column. */
function buildForm(loaded: LoadedModel, prep: TablePreprocessing): void {
  for (const column of prep.columns) {
    const id = `column-${column.name}`;
    const label = Object.assign(document.createElement("label"), { textContent: column.name });
    label.htmlFor = id;
    let field: HTMLInputElement | HTMLSelectElement;
    if (column.kind === "number") {
      field = Object.assign(document.createElement("input"), { type: "number", step: "any" });
      field.value = String(Number(column.mean.toPrecision(4)));
    } else {
      field = document.createElement("select");
      for (const value of column.vocabulary) {
        field.append(
          Object.assign(document.createElement("option"), { value, textContent: value }),
        );
      }
    }
    field.id = id;
    field.name = column.name;
    tableForm.append(label, field);
  }
  const predictRow = () => {
    const row: Record<string, string | number> = {};
    for (const column of prep.columns) {
      const field = tableForm.elements.namedItem(column.name) as HTMLInputElement;
      row[column.name] = column.kind === "number" ? Number(field.value) : field.value;
    }
    try {
      const [p] = predictEncoded(loaded, encodeRows(loaded.io, [row]), 1);
      if ("className" in p) showProbabilities(p.probabilities, p.label, p.className);
      else digit.textContent = "value" in p ? p.value.toPrecision(4) : p.values.join(", ");
      status.classList.remove("error");
    } catch (error) {
      status.textContent = (error as Error).message;
      status.classList.add("error");
      return;
    }
    predictions++;
    document.body.dataset.predictions = String(predictions);
  };
  tableForm.addEventListener("input", predictRow);
  tableForm.hidden = false;
  predictRow();
}

/** The heading and the inputs shown for what the model takes. */
function present(loaded: LoadedModel): string {
  const io = loaded.io;
  const data = loaded.summary?.data ?? "its data";
  const network = `A ${describeSpec(loaded.spec)} network trained by shardfit on ${data}`;
  if (io.output.task === "classification") buildBars(io.output.classNames);
  if (io.input.kind === "table") {
    const prep = io.input.preprocessing;
    imageInput.hidden = true;
    if (io.output.task === "regression") bars.hidden = true;
    title.textContent = `Predict ${prep.target.name}`;
    subtitle.textContent = `${network} predicts ${prep.target.name} from ${prep.columns.length} columns.`;
    buildForm(loaded, prep);
    return "Change a value to predict.";
  }
  if (io.input.kind === "pixels" && shapeSize(loaded.layout.inputShape) === 784) {
    title.textContent = "Draw a digit";
    subtitle.textContent = `${network} predicts as you draw.`;
    return "Draw with mouse or finger.";
  }
  imageInput.hidden = true;
  bars.hidden = true;
  title.textContent = "shardfit model";
  subtitle.textContent = `${network} takes inputs of shape [${loaded.layout.inputShape.join(", ")}]: POST /predict {"instances": [...]}.`;
  return "";
}

resetPad();
loadModel().then(
  (loaded) => {
    model = loaded;
    const accuracy =
      loaded.summary && loaded.io.output.task === "classification"
        ? `, test accuracy ${(loaded.summary.testAccuracy * 100).toFixed(2)}%`
        : "";
    const hint = present(loaded);
    status.textContent = `model ${describeSpec(loaded.spec)} (${loaded.layout.size.toLocaleString("en")} parameters)${accuracy}. ${hint}`;
    document.body.dataset.model = describeSpec(loaded.spec);
    renderTraining(must("training-body"), loaded.summary);
    document.body.dataset.ready = "true";
    schedulePredict();
  },
  (error: Error) => {
    status.textContent = `could not load the model: ${error.message}`;
    status.classList.add("error");
    document.body.dataset.ready = "error";
  },
);
