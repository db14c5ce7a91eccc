import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { TableRowError } from "../core/data/table-prep.ts";
import {
  type LoadedModel,
  MODEL_FILE,
  toModelJson,
  WEIGHTS_FILE,
  weightsBytes,
  withModelIo,
} from "../core/format/layers-json.ts";
import {
  describeInputs,
  encodeInstances,
  encodeRows,
  predictEncoded,
} from "../core/format/model-io.ts";
import { decodePngGray, MAX_PNG_PIXELS } from "../core/image/png.ts";
import { preprocessGray } from "../core/image/preprocess.ts";
import { perClassAccuracy } from "../core/metric/confusion.ts";
import { describeSpec } from "../core/model/describe.ts";
import { predictPixelsBatch } from "../core/model/forward.ts";
import { kerasClass, shapeSize } from "../core/model/sequential.ts";
import { OneAtATime } from "./one-at-a-time.ts";
import {
  mediaType,
  parsePixelQuery,
  parsePredictJson,
  RequestError,
  readBodyLimited,
} from "./predict-input.ts";

export interface PredictOptions {
  /** Largest request body accepted by `POST /predict` (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** Most images in one `{"instances": …}` request (default 256). */
  readonly maxInstances?: number;
  /**
   * Most pixels a PNG may declare (default 1024 × 1024); its image data may hold at most
   * 4 bytes a pixel of that (8-bit RGBA), so a 16-bit RGBA PNG gets half as many.
   */
  readonly maxPngPixels?: number;
  /** `max-age` of `GET /predict` answers in seconds (default one day). */
  readonly predictMaxAge?: number;
}

/** PNG requests waiting for their turn to decode beyond which new ones get 503. */
const MAX_WAITING_PNGS = 16;

/**
 * A strong validator for everything derived from the model: SHA-256 over model.json and the
 * weights. A `GET /predict` answer depends only on its URL and the model, so one ETag per
 * model is exact for every predict URL.
 */
export async function modelEtag(modelJson: string, weights: Uint8Array): Promise<string> {
  const json = new TextEncoder().encode(modelJson);
  const all = new Uint8Array(json.length + weights.length);
  all.set(json);
  all.set(weights, json.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  const hex = Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  return `"${hex}"`;
}

/** Whether an If-None-Match header (list, weak or `*`) matches `etag`. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t === etag || t === `W/${etag}`;
  });
}

function utf8(body: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new RequestError(400, "malformed JSON: body is not valid UTF-8");
  }
}

function methodNotAllowed(allow: string) {
  return (c: Context) => {
    c.header("Allow", allow);
    return c.json(
      { error: `method ${c.req.method} not allowed on ${c.req.path}; use ${allow}` },
      405,
    );
  };
}

/** A served model with its request limits, its files as served and their ETag. */
interface Served {
  readonly model: LoadedModel;
  readonly maxBodyBytes: number;
  readonly maxInstances: number;
  readonly maxPngPixels: number;
  /** PNGs are decoded one at a time: each may take up to ~33 MiB while it decodes. */
  readonly pngDecodes: OneAtATime;
  readonly predictMaxAge: number;
  readonly inputSize: number;
  readonly modelJson: string;
  readonly weights: Uint8Array;
  readonly etag: Promise<string>;
}

function served(model: LoadedModel, options: PredictOptions): Served {
  const modelJson = JSON.stringify(
    withModelIo(toModelJson(model.spec, model.summary), model.ioSaved ? model.io : undefined),
  );
  const weights = weightsBytes(model.params);
  return {
    model,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    maxInstances: options.maxInstances ?? 256,
    maxPngPixels: options.maxPngPixels ?? MAX_PNG_PIXELS,
    pngDecodes: new OneAtATime(MAX_WAITING_PNGS),
    predictMaxAge: options.predictMaxAge ?? 86400,
    inputSize: shapeSize(model.layout.inputShape),
    modelJson,
    weights,
    etag: modelEtag(modelJson, weights),
  };
}

/**
 * Routes serving a trained model: `/predict` (GET with base64url pixels, POST with JSON or
 * PNG), `/model` (description, training summary, accuracy per class), `/model.json` +
 * `/weights.bin` (the files, for pages that run the forward pass themselves) and `/health`.
 * Client mistakes throw RequestError or PngError; the app's one onError answers them.
 */
export function predictRoutes(model: LoadedModel, options: PredictOptions = {}): Hono {
  const s = served(model, options);
  const app = new Hono();
  addPredictRoutes(app, s);
  app.get("/model", async (c) => c.json(modelInfo(model, await s.etag)));
  app.all("/model", methodNotAllowed("GET, HEAD"));
  addFileRoutes(app, s);
  app.get("/health", (c) => c.json({ ok: true, model: describeSpec(model.spec) }));
  app.all("/health", methodNotAllowed("GET, HEAD"));
  return app;
}

function addPredictRoutes(app: Hono, s: Served): void {
  app.use(
    "/predict",
    cors({
      origin: "*",
      allowMethods: ["GET", "HEAD", "POST", "OPTIONS"],
      allowHeaders: ["Content-Type", "If-None-Match"],
      exposeHeaders: ["ETag"],
      maxAge: 86400,
    }),
  );
  app.get("/predict", async (c) => {
    if (s.model.io.input.kind !== "pixels") {
      throw new RequestError(
        400,
        `GET /predict takes the pixels of an image model; this model takes ${s.model.io.input.kind === "table" ? '{"rows": [...]}' : '{"instances": [...]}'} by POST`,
      );
    }
    const pixels = parsePixelQuery(c.req.queries("pixels"), s.inputSize);
    const etag = await s.etag;
    c.header("ETag", etag);
    c.header("Cache-Control", `public, max-age=${s.predictMaxAge}, immutable`);
    if (matchesEtag(c.req.header("if-none-match"), etag)) return c.body(null, 304);
    return c.json(predictInstances(s, [pixels])[0]);
  });
  app.post(
    "/predict",
    // Fast refusal on a declared Content-Length; readBodyLimited also enforces the real size.
    bodyLimit({
      maxSize: s.maxBodyBytes,
      onError: (c) =>
        c.json({ error: `body too large: the limit is ${s.maxBodyBytes} bytes` }, 413),
    }),
    async (c) => {
      const type = mediaType(c.req.header("content-type"));
      if (type !== "application/json" && type !== "image/png") {
        throw new RequestError(
          415,
          `unsupported Content-Type ${JSON.stringify(c.req.header("content-type") ?? "(none)")}; expected application/json or image/png`,
        );
      }
      const body = await readBodyLimited(c.req.raw, s.maxBodyBytes);
      if (body.length === 0) throw new RequestError(400, `empty body: expected ${type} content`);
      c.header("Cache-Control", "no-store");
      return c.json(await predictBody(s, type, body));
    },
  );
  app.all("/predict", methodNotAllowed("GET, HEAD, POST, OPTIONS"));
}

async function predictBody(s: Served, type: "application/json" | "image/png", body: Uint8Array) {
  if (type === "image/png") return predictPng(s, body);
  const { model } = s;
  const pixels = model.io.input.kind === "pixels";
  const parsed = parsePredictJson(utf8(body), model.layout.inputShape, s.maxInstances, pixels);
  switch (parsed.kind) {
    case "single":
      if (!pixels) {
        throw new RequestError(
          400,
          `body.pixels: this model does not take images; send ${model.io.input.kind === "table" ? '{"rows": [{...}]} or ' : ""}{"instances": [[...]]}`,
        );
      }
      return predictInstances(s, [parsed.pixels])[0];
    case "batch":
      return { predictions: predictInstances(s, parsed.instances) };
    case "rows":
      return {
        predictions: predictEncoded(s.model, rowInputs(s, parsed.rows), parsed.rows.length),
      };
  }
}

/**
 * Instances of the input size (pixels 0..255 for an image model). A model saved before its io
 * was recorded answers as it always has: no class names.
 */
function predictInstances(s: Served, instances: readonly ArrayLike<number>[]) {
  const { model } = s;
  if (!model.ioSaved) return predictPixelsBatch(model, instances);
  return predictEncoded(model, encodeInstances(model.io, instances), instances.length);
}

/** Raw table rows as model inputs; a missing or ill-typed field is a 400 naming it. */
function rowInputs(s: Served, rows: readonly Record<string, unknown>[]): Float32Array {
  try {
    return encodeRows(s.model.io, rows);
  } catch (error) {
    if (error instanceof TableRowError) throw new RequestError(400, `body.${error.message}`);
    throw error;
  }
}

/** What `GET /model` says of the model. */
function modelInfo(model: LoadedModel, etag: string) {
  return {
    architecture: describeSpec(model.spec),
    inputShape: model.layout.inputShape,
    inputSize: shapeSize(model.layout.inputShape),
    classes: shapeSize(model.layout.outputShape),
    inputs: describeInputs(model.io, model.layout.inputShape),
    outputs: model.io.output,
    layers: layerRows(model),
    parameters: model.layout.size,
    // Includes, for models trained since 2026-11, the per-epoch history and the test-set
    // confusion matrix; accuracy per class is derived from the latter.
    summary: model.summary ?? null,
    perClassAccuracy: model.summary?.confusion ? perClassAccuracy(model.summary.confusion) : null,
    etag,
    files: { model: `/${MODEL_FILE}`, weights: `/${WEIGHTS_FILE}` },
  };
}

/** `/model.json` and `/weights.bin`, cached but revalidated so a redeployed model is seen. */
function addFileRoutes(app: Hono, s: Served): void {
  const serveFile = (type: string, body: string | Uint8Array) => async (c: Context) => {
    const etag = await s.etag;
    c.header("ETag", etag);
    c.header("Cache-Control", "public, max-age=300, must-revalidate");
    c.header("Access-Control-Allow-Origin", "*");
    if (matchesEtag(c.req.header("if-none-match"), etag)) return c.body(null, 304);
    c.header("Content-Type", type);
    return c.body(typeof body === "string" ? body : (body as Uint8Array<ArrayBuffer>));
  };
  app.get(`/${MODEL_FILE}`, serveFile("application/json", s.modelJson));
  app.all(`/${MODEL_FILE}`, methodNotAllowed("GET, HEAD"));
  app.get(`/${WEIGHTS_FILE}`, serveFile("application/octet-stream", s.weights));
  app.all(`/${WEIGHTS_FILE}`, methodNotAllowed("GET, HEAD"));
}

/** The layers with their output shapes and parameter counts. */
function layerRows(model: LoadedModel) {
  return model.layout.layers.map((layer) => ({
    name: layer.name,
    className: kerasClass(layer.spec.kind),
    outputShape: layer.outputShape,
    ...("activation" in layer.spec ? { activation: layer.spec.activation } : {}),
    parameters: layer.weights.reduce((a, w) => a + w.size, 0),
  }));
}

async function predictPng(s: Served, body: Uint8Array) {
  if (s.model.io.input.kind !== "pixels") {
    throw new RequestError(422, "this model does not take images; send JSON");
  }
  const { pixels, hasInk } = await s.pngDecodes.run(async () =>
    preprocessGray(await decodePngGray(body, s.maxPngPixels)),
  );
  if (!hasInk) {
    throw new RequestError(422, "PNG has no ink: the image is a single uniform colour");
  }
  if (pixels.length !== s.inputSize) {
    throw new RequestError(
      422,
      `PNG input needs a 28×28 model; this model takes ${s.inputSize} inputs`,
    );
  }
  return predictInstances(s, [pixels])[0];
}
