import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { Hono } from "hono";
import { encodeBase64Url } from "../../src/core/base64url.ts";
import { predictPixels } from "../../src/core/model/forward.ts";
import type { LoadedModel } from "../../src/core/model/layers-json.ts";
import { createApp } from "../../src/server/app.ts";
import { fixtureModel } from "../support/predict-app.ts";

/**
 * Random bodies, content types and query strings thrown at /predict through app.request():
 * whatever arrives, the answer is never a 5xx, every 4xx is JSON {"error": "..."}, and valid
 * input always gets a valid prediction equal to the forward pass.
 */

let model: LoadedModel;
let app: Hono;

beforeAll(async () => {
  model = await fixtureModel();
  app = createApp({ model });
}, 300_000);

const pixel = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.double({ min: 0, max: 255, noNaN: true }),
);
const image = fc.array(pixel, { minLength: 784, maxLength: 784 });

const anyJson = fc.oneof(
  fc.jsonValue(),
  fc.record({ pixels: fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue(), { maxLength: 800 })) }),
  fc.record({
    instances: fc.oneof(
      fc.jsonValue(),
      fc.array(fc.array(pixel, { maxLength: 790 }), { maxLength: 3 }),
    ),
  }),
  fc.record({
    pixels: fc.array(fc.oneof(pixel, fc.constant(-1), fc.constant(256), fc.constant(Number.NaN)), {
      minLength: 784,
      maxLength: 784,
    }),
  }),
);

/** A valid image with one value broken: the cases most likely to slip past validation. */
const badValue = fc.oneof(
  fc.double({ min: 255.000001, noNaN: true }),
  fc.double({ max: -0.000001, noNaN: true }),
  fc.constantFrom<unknown>(null, true, "7", [], {}, -1, 256),
);
const nearlyValid = fc
  .tuple(image, fc.nat(783), badValue, fc.boolean())
  .map(([px, i, bad, batch]) => {
    const broken: unknown[] = [...px];
    broken[i] = bad;
    return JSON.stringify(batch ? { instances: [px, broken] } : { pixels: broken });
  });

const contentType = fc.oneof(
  { arbitrary: fc.constant("application/json"), weight: 4 },
  { arbitrary: fc.constant("image/png"), weight: 1 },
  fc.constantFrom(
    "application/json",
    "image/png",
    "text/plain",
    "application/json; charset=utf-8",
    "",
    "multipart/form-data",
  ),
  fc.string({ maxLength: 30 }),
);

const body = fc.oneof(
  { arbitrary: nearlyValid, weight: 2 },
  anyJson.map((v) => JSON.stringify(v) ?? ""),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 400 }),
  // A PNG signature followed by garbage: gets past the signature check into the header logic.
  fc
    .uint8Array({ maxLength: 200 })
    .map((b) => Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...b])),
);

function validHeader(value: string): boolean {
  try {
    new Headers({ "content-type": value });
    return true;
  } catch {
    return false;
  }
}

async function expectClientErrorOrOk(res: Response): Promise<unknown> {
  expect(res.status).toBeLessThan(500);
  const parsed = await res.json();
  if (res.status >= 400) {
    expect(typeof (parsed as { error: unknown }).error).toBe("string");
    expect((parsed as { error: string }).error.length).toBeGreaterThan(5);
  }
  return parsed;
}

function expectValidPrediction(p: unknown) {
  const { label, confidence, probabilities } = p as {
    label: number;
    confidence: number;
    probabilities: number[];
  };
  expect(probabilities).toHaveLength(10);
  expect(probabilities.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
  expect(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
  expect(confidence).toBe(Math.max(...probabilities));
  expect(probabilities[label]).toBe(confidence);
}

describe("/predict property tests", () => {
  test("random POST bodies and content types: never 5xx, errors are JSON", async () => {
    await fc.assert(
      fc.asyncProperty(contentType.filter(validHeader), body, async (type, payload) => {
        const headers = type === "" ? undefined : { "content-type": type };
        const res = await app.request("/predict", { method: "POST", headers, body: payload });
        await expectClientErrorOrOk(res);
      }),
      { numRuns: 400 },
    );
  });

  test("random query strings: never 5xx, errors are JSON", async () => {
    const query = fc.oneof(
      fc.string({ maxLength: 1200 }).map((s) => `pixels=${encodeURIComponent(s)}`),
      fc.uint8Array({ minLength: 780, maxLength: 790 }).map((b) => `pixels=${encodeBase64Url(b)}`),
      fc.string({ maxLength: 100 }).map(encodeURI),
      fc
        .array(fc.tuple(fc.constantFrom("pixels", "x", "pixels[]"), fc.string({ maxLength: 20 })), {
          maxLength: 4,
        })
        .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")),
    );
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        let res: Response;
        try {
          res = await app.request(`/predict?${q}`);
        } catch {
          return; // not a URL app.request can build; nothing reached the app
        }
        await expectClientErrorOrOk(res);
      }),
      { numRuns: 400 },
    );
  });

  test("valid JSON images always get the forward pass's prediction", async () => {
    await fc.assert(
      fc.asyncProperty(image, async (pixels) => {
        const res = await app.request("/predict", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ pixels }),
        });
        expect(res.status).toBe(200);
        const p = await res.json();
        expectValidPrediction(p);
        expect((p as { label: number }).label).toBe(predictPixels(model, pixels).label);
      }),
      { numRuns: 100 },
    );
  });

  test("valid batches and valid GET pixels always get valid predictions", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(image, { minLength: 1, maxLength: 4 }), async (images) => {
        const res = await app.request("/predict", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ instances: images }),
        });
        expect(res.status).toBe(200);
        const { predictions } = (await res.json()) as { predictions: unknown[] };
        expect(predictions).toHaveLength(images.length);
        for (const p of predictions) expectValidPrediction(p);
      }),
      { numRuns: 50 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 784, maxLength: 784 }), async (bytes) => {
        const res = await app.request(`/predict?pixels=${encodeBase64Url(bytes)}`);
        expect(res.status).toBe(200);
        const p = await res.json();
        expectValidPrediction(p);
        expect((p as { label: number }).label).toBe(predictPixels(model, bytes).label);
      }),
      { numRuns: 100 },
    );
  });
});
