import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { loadModelDir } from "../../src/adapter/fs/model-files.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import { encodeBase64Url } from "../../src/core/format/base64url.ts";
import {
  fromLayersModel,
  type LoadedModel,
  type TrainingSummary,
  toModelJson,
  weightsBytes,
} from "../../src/core/format/layers-json.ts";
import { type ClassAccuracy, matrixTotals } from "../../src/core/metric/confusion.ts";
import { predictPixels } from "../../src/core/model/forward.ts";
import { createApp } from "../../src/server/app.ts";
import { createShardApp } from "../../src/server/shards.ts";
import { bombPng, strokeRgbaPng, withHugeIccp } from "../support/png-bombs.ts";
import { fixtureModel } from "../support/predict-app.ts";
import { grayPng, renderDigit } from "../support/render.ts";

let model: LoadedModel;
let app: Hono;
let data: Dataset;

beforeAll(async () => {
  model = await fixtureModel();
  app = createApp({ model });
  data = await loadIdxDataset();
}, 300_000);

const digit = (i: number) => data.test.images.subarray(i * 784, (i + 1) * 784);

function postJson(body: unknown, headers: Record<string, string> = {}) {
  return app.request("/predict", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function expectError(res: Response, status: number, message: string | RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = (await res.json()) as { error: string };
  if (typeof message === "string") expect(body.error).toContain(message);
  else expect(body.error).toMatch(message);
}

function expectPrediction(body: unknown, expected: { label: number }) {
  const p = body as { label: number; confidence: number; probabilities: number[] };
  expect(p.label).toBe(expected.label);
  expect(p.probabilities).toHaveLength(10);
  expect(p.confidence).toBe(p.probabilities[p.label]);
  expect(Math.abs(p.probabilities.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
}

describe("GET /predict", () => {
  test("base64url pixels → prediction, cacheable with the model's ETag", async () => {
    const pixels = digit(0);
    const res = await app.request(`/predict?pixels=${encodeBase64Url(pixels)}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expectPrediction(body, predictPixels(model, pixels));
    expect(body).toEqual(JSON.parse(JSON.stringify(predictPixels(model, pixels))));
    expect(res.headers.get("cache-control")).toMatch(/^public, max-age=\d+, immutable$/);
    const etag = res.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");

    const again = await app.request(`/predict?pixels=${encodeBase64Url(digit(1))}`, {
      headers: { "if-none-match": `W/"other", ${etag}` },
    });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe("");
    const stale = await app.request(`/predict?pixels=${encodeBase64Url(pixels)}`, {
      headers: { "if-none-match": '"stale"' },
    });
    expect(stale.status).toBe(200);
  });

  test("the test set through GET matches the model's accuracy", async () => {
    let correct = 0;
    for (let i = 0; i < 100; i++) {
      const res = await app.request(`/predict?pixels=${encodeBase64Url(digit(i))}`);
      if (((await res.json()) as { label: number }).label === data.test.labels[i]) correct++;
    }
    expect(correct).toBeGreaterThanOrEqual(85);
  });

  test("the ETag is the model's: the same on repeat and after a restart, new for a new model", async () => {
    const q = `/predict?pixels=${encodeBase64Url(digit(0))}`;
    const etag = (await app.request(q)).headers.get("etag") as string;
    expect((await app.request(q)).headers.get("etag")).toBe(etag);
    expect((await createApp({ model }).request(q)).headers.get("etag")).toBe(etag);
    expect(((await (await app.request("/model")).json()) as { etag: string }).etag).toBe(etag);

    const params = model.params.slice();
    params[0] += 1;
    const changed = { ...model, params };
    const other = createApp({ model: changed });
    const otherEtag = (await other.request(q)).headers.get("etag");
    expect(otherEtag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(otherEtag).not.toBe(etag);
    // A client revalidating the old model's answer gets the new model's, not a 304.
    const revalidated = await other.request(q, { headers: { "if-none-match": etag } });
    expect(revalidated.status).toBe(200);
    expect(revalidated.headers.get("etag")).toBe(otherEtag);
    expect(await revalidated.json()).toEqual(
      JSON.parse(JSON.stringify(predictPixels(changed, digit(0)))),
    );
  });

  test("missing, repeated, malformed and wrong-length pixels are 400s naming the problem", async () => {
    await expectError(
      await app.request("/predict"),
      400,
      "missing pixels=<base64url of 784 bytes (1046 characters)>",
    );
    const good = encodeBase64Url(digit(0));
    await expectError(
      await app.request(`/predict?pixels=${good}&pixels=${good}`),
      400,
      "pixels given 2 times",
    );
    await expectError(
      await app.request(`/predict?pixels=${good.slice(0, 100)}+${good.slice(101)}`),
      400,
      'invalid base64url: character " " at position 100',
    );
    await expectError(
      await app.request(`/predict?pixels=${encodeBase64Url(new Uint8Array(783))}`),
      400,
      "expected 784 bytes (1046 base64url characters), got 783 bytes",
    );
    await expectError(await app.request("/predict?pixels="), 400, "got 0 bytes");
    await expectError(await app.request("/predict?pixels=A"), 400, "cannot encode whole bytes");
  });
});

describe("POST /predict (JSON)", () => {
  test('{"pixels": [...]} → prediction, not cached', async () => {
    const pixels = digit(3);
    const res = await postJson({ pixels: Array.from(pixels) });
    expect(res.status).toBe(200);
    expectPrediction(await res.json(), predictPixels(model, pixels));
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  test('content type parameters are fine: "application/json; charset=utf-8"', async () => {
    const res = await postJson(
      { pixels: Array.from(digit(3)) },
      { "content-type": "Application/JSON; charset=utf-8" },
    );
    expect(res.status).toBe(200);
  });

  test('{"instances": [[...], ...]} → {"predictions": [...]} in order', async () => {
    const images = [0, 1, 2, 3, 4].map((i) => Array.from(digit(i)));
    const res = await postJson({ instances: images });
    expect(res.status).toBe(200);
    const { predictions } = (await res.json()) as { predictions: unknown[] };
    expect(predictions).toHaveLength(5);
    predictions.forEach((p, i) => {
      expectPrediction(p, predictPixels(model, digit(i)));
    });
    const max = await postJson({ instances: Array.from({ length: 256 }, () => images[0]) });
    expect(max.status).toBe(200);
  });

  test("malformed, empty and mistyped bodies are 400s that say what was wrong", async () => {
    const px = Array.from(digit(0));
    await expectError(await postJson("{"), 400, "malformed JSON");
    await expectError(await postJson(""), 400, "empty body");
    await expectError(await postJson("   "), 400, "empty body");
    await expectError(await postJson("[1,2]"), 400, "expected a JSON object");
    await expectError(await postJson("null"), 400, "got null");
    await expectError(
      await postJson({}),
      400,
      'expected exactly one of "pixels", "instances" or "rows", got none',
    );
    await expectError(
      await postJson({ pixels: px, instances: [px] }),
      400,
      'got "pixels" and "instances"',
    );
    await expectError(await postJson({ pixel: px }), 400, 'unexpected field "pixel"');
    await expectError(
      await postJson({ pixels: "abc" }),
      400,
      'pixels: expected an array of 784 numbers 0..255, got string "abc"',
    );
    await expectError(
      await postJson({ pixels: px.slice(1) }),
      400,
      "pixels: expected 784 pixel values, got 783",
    );
    await expectError(
      await postJson({ pixels: [...px.slice(1), "7"] }),
      400,
      'pixels[783]: expected a number 0..255, got string "7"',
    );
    await expectError(
      await postJson({ pixels: [null, ...px.slice(1)] }),
      400,
      "pixels[0]: expected a number 0..255, got null",
    );
    await expectError(
      await postJson(`{"pixels":[1e999${",0".repeat(783)}]}`),
      400,
      "pixels[0]: expected a finite number, got Infinity",
    );
    await expectError(await postJson(`{"pixels":[NaN${",0".repeat(783)}]}`), 400, "malformed JSON");
    await expectError(
      await postJson({ pixels: [-1, ...px.slice(1)] }),
      400,
      "pixels[0]: expected a value in 0..255, got -1",
    );
    await expectError(
      await postJson({ pixels: [...px.slice(1), 255.5] }),
      400,
      "pixels[783]: expected a value in 0..255, got 255.5",
    );
    await expectError(
      await postJson({ instances: [] }),
      400,
      "instances: expected 1..256 images, got 0",
    );
    await expectError(
      await postJson({ instances: Array.from({ length: 257 }, () => [0]) }),
      400,
      "expected 1..256 images, got 257",
    );
    await expectError(
      await postJson({ instances: px.slice(0, 3) }),
      400,
      "instances[0]: expected an array of 784 numbers 0..255, got number 0",
    );
    await expectError(
      await postJson({ instances: [px, px.slice(2)] }),
      400,
      "instances[1]: expected 784 pixel values, got 782",
    );
    await expectError(
      await postJson({ instances: { a: 1 } }),
      400,
      "instances: expected an array of 1..256 images, got an object",
    );
    const invalidUtf8 = await app.request("/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: Uint8Array.of(0x7b, 0xff, 0x7d),
    });
    await expectError(invalidUtf8, 400, "not valid UTF-8");
  });

  test("wrong or missing content type is 415", async () => {
    const body = JSON.stringify({ pixels: Array.from(digit(0)) });
    await expectError(
      await app.request("/predict", {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body,
      }),
      415,
      'unsupported Content-Type "text/plain"; expected application/json or image/png',
    );
    const none = await app.request("/predict", { method: "POST", body: new Uint8Array([1, 2]) });
    await expectError(none, 415, "expected application/json or image/png");
  });

  test("bodies over 1 MiB are 413, by Content-Length and by actual size", async () => {
    const big = `{"pixels":[${"0,".repeat(600_000)}0]}`;
    await expectError(await postJson(big), 413, "body too large");
    // A stream has no Content-Length: the limit must hold on the bytes actually read.
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 2 * 1024 * 1024) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const res = await app.request("/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await expectError(res, 413, "body too large");
  });
});

describe("POST /predict (PNG)", () => {
  const png = (body: Uint8Array) =>
    app.request("/predict", {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: body.slice(),
    });

  test("a photo-like PNG of a digit is preprocessed and classified", async () => {
    let agree = 0;
    for (let i = 0; i < 20; i++) {
      const image = renderDigit(digit(i), {
        scale: 10,
        canvas: [300, 320],
        at: [10, 25],
        darkOnLight: i % 2 === 1,
      });
      const res = await png(grayPng(image));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { label: number; probabilities: number[] };
      expect(body.probabilities).toHaveLength(10);
      if (body.label === predictPixels(model, digit(i)).label) agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(19);
  });

  test("too large, corrupt, non-PNG and blank images are 4xx", async () => {
    const ok = grayPng(
      renderDigit(digit(0), { scale: 2, canvas: [60, 60], at: [2, 2], darkOnLight: false }),
    );
    const huge = ok.slice();
    new DataView(huge.buffer).setUint32(16, 20000);
    await expectError(
      await png(huge),
      413,
      "PNG too large: 20000×60 8-bit gray is 1200000 pixels and 1.1 MiB of image data; the limits are 1048576 pixels and 4.0 MiB of image data",
    );
    await expectError(
      await png(new TextEncoder().encode("GIF89a not a png at all, sorry")),
      400,
      "not a PNG",
    );
    const garbled = ok.slice();
    for (let i = 41; i < garbled.length - 12; i++) garbled[i] ^= 0x5a;
    await expectError(await png(garbled), 400, /^corrupt PNG/);
    await expectError(
      await png(ok.subarray(0, 30)),
      400,
      /^corrupt PNG: chunk "IHDR" at byte 8 declares 13 data bytes, only 10 remain$/,
    );
    await expectError(
      await png(ok.subarray(0, ok.length - 12)),
      400,
      new RegExp(`^corrupt PNG: the file ends at byte ${ok.length - 12} before the IEND chunk$`),
    );
    await expectError(
      await png(grayPng({ width: 40, height: 40, data: new Uint8Array(1600).fill(200) })),
      422,
      "no ink",
    );
    await expectError(await png(new Uint8Array(0)), 400, "empty body");
  });

  test("a 130 KB PNG declaring 4096×4096 16-bit RGBA is a 413 naming the limit; /health answers", async () => {
    const body = await strokeRgbaPng(4096, 4096, 16);
    const [refused, health] = await Promise.all([png(body), app.request("/health")]);
    await expectError(
      refused,
      413,
      "PNG too large: 4096×4096 16-bit RGBA is 16777216 pixels and 128.0 MiB of image data; the limits are 1048576 pixels and 4.0 MiB of image data",
    );
    expect(health.status).toBe(200);
  });

  test("the largest PNGs accepted are decoded; concurrent ones take turns", async () => {
    const bodies = await Promise.all([
      strokeRgbaPng(1024, 1024, 8),
      strokeRgbaPng(724, 724, 16),
      strokeRgbaPng(1024, 1024, 8),
    ]);
    const answers = await Promise.all(bodies.map(png));
    for (const res of answers) expect(res.status).toBe(200);
    const [a, b, c] = await Promise.all(answers.map((res) => res.json()));
    expect(c).toEqual(a);
    expect((b as { probabilities: number[] }).probabilities).toHaveLength(10);
  });

  test("a decompression bomb is a 422 naming the reason; a huge iCCP profile is ignored", async () => {
    await expectError(
      await png(bombPng()),
      422,
      "PNG image data inflates to more than 2 bytes, all that its 1×1 header allows",
    );
    const plain = grayPng(
      renderDigit(digit(3), { scale: 2, canvas: [60, 60], at: [2, 2], darkOnLight: true }),
    );
    const [fromPlain, fromHeavy] = await Promise.all(
      [plain, withHugeIccp(plain)].map(async (body) => {
        const res = await png(body);
        expect(res.status).toBe(200);
        return res.json();
      }),
    );
    expect(fromHeavy).toEqual(fromPlain);
  });
});

describe("other routes", () => {
  test("GET /model describes layers, parameters and the training summary", async () => {
    const res = await app.request("/model");
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.architecture).toBe("784→512→10");
    expect(body.parameters).toBe(784 * 512 + 512 + 512 * 10 + 10);
    expect(body.inputShape).toEqual([784]);
    expect(body.layers).toEqual([
      {
        name: "dense_Dense1",
        className: "Dense",
        outputShape: [512],
        activation: "relu",
        parameters: 401920,
      },
      {
        name: "dense_Dense2",
        className: "Dense",
        outputShape: [10],
        activation: "softmax",
        parameters: 5130,
      },
    ]);
    const summary = body.summary as TrainingSummary;
    expect(summary.testAccuracy).toBe(model.summary?.testAccuracy as number);
    expect(summary.testAccuracy).toBeGreaterThan(0.85);
    expect(summary.epochs).toBe(1);
    // The model explains itself: its per-epoch history and its test-set confusion matrix.
    expect(summary.history).toHaveLength(1);
    expect(summary.history?.[0].testAccuracy).toBe(summary.testAccuracy);
    const { count, correct } = matrixTotals(summary.confusion ?? []);
    expect(count).toBe(10_000);
    expect(correct / count).toBeCloseTo(summary.testAccuracy, 12);
    const perClass = body.perClassAccuracy as ClassAccuracy[];
    expect(perClass).toHaveLength(10);
    perClass.forEach((c, label) => {
      const row = summary.confusion?.[label] ?? [];
      expect(c).toEqual({
        label,
        correct: row[label],
        count: row.reduce((a, b) => a + b, 0),
        accuracy: row[label] / row.reduce((a, b) => a + b, 0),
      });
    });
  });

  test("a model.json from before the history and confusion matrix still loads and serves", async () => {
    const { history: _h, confusion: _c, ...old } = model.summary as TrainingSummary;
    const json = toModelJson(model.spec, old);
    const loaded = fromLayersModel(json, weightsBytes(model.params));
    const res = await createApp({ model: loaded }).request("/model");
    const body = (await res.json()) as { summary: TrainingSummary; perClassAccuracy: unknown };
    expect(body.summary).toEqual(old);
    expect(body.perClassAccuracy).toBeNull();
  });

  test.each([
    [[[1, 2]], "a square matrix of counts"],
    [
      [
        [1, -1],
        [0, 3],
      ],
      "a square matrix of counts",
    ],
    [
      [
        [1, 0],
        [0, 3],
      ],
      "10 × 10 (the model's classes), got 2 × 2",
    ],
  ])("a malformed confusion matrix %j is refused by name", (confusion, message) => {
    const json = toModelJson(model.spec, { ...(model.summary as TrainingSummary), confusion });
    expect(() => fromLayersModel(json, weightsBytes(model.params))).toThrow(
      `userDefinedMetadata.shardfit.confusion: expected ${message}`,
    );
  });

  test("GET /health", async () => {
    const res = await app.request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, model: "784→512→10" });
  });

  test("GET /model.json + /weights.bin are a loadable model equal to the served one", async () => {
    const json = await app.request("/model.json");
    const bin = await app.request("/weights.bin");
    expect(json.status).toBe(200);
    expect(bin.headers.get("content-type")).toBe("application/octet-stream");
    expect(json.headers.get("access-control-allow-origin")).toBe("*");
    const loaded = fromLayersModel(await json.json(), new Uint8Array(await bin.arrayBuffer()));
    expect(loaded.spec).toEqual(model.spec);
    expect(loaded.params).toEqual(model.params);
    expect(loaded.summary).toEqual(model.summary);
    const etag = bin.headers.get("etag") as string;
    const cached = await app.request("/weights.bin", { headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);
  });

  test("wrong methods are 405 with Allow", async () => {
    for (const [method, path] of [
      ["PUT", "/predict"],
      ["DELETE", "/predict"],
      ["PATCH", "/predict"],
      ["POST", "/model"],
      ["DELETE", "/model.json"],
      ["PUT", "/weights.bin"],
      ["POST", "/health"],
    ]) {
      const res = await app.request(path, { method });
      await expectError(res, 405, `method ${method} not allowed on ${path}`);
      expect(res.headers.get("allow")).toContain("GET");
    }
  });

  test("CORS preflight on /predict", async () => {
    const res = await app.request("/predict", {
      method: "OPTIONS",
      headers: {
        origin: "https://example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  test("the training coordinator's app has no predict routes", async () => {
    const bare = createShardApp({ token: "t", count: 0, shard: () => new Uint8Array() });
    expect((await bare.request("/predict")).status).toBe(404);
    expect(await (await bare.request("/health")).json()).toEqual({ ok: true });
  });
});

describe("loadModelDir", () => {
  test("missing files and invalid JSON name the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shardfit-model-"));
    await expect(loadModelDir(dir)).rejects.toThrow(`${join(dir, "model.json")}: file not found`);
    await writeFile(join(dir, "model.json"), "{ not json");
    await writeFile(join(dir, "weights.bin"), new Uint8Array(8));
    await expect(loadModelDir(dir)).rejects.toThrow(`${join(dir, "model.json")}: invalid JSON`);
    const json = await (await app.request("/model.json")).text();
    await writeFile(join(dir, "model.json"), json);
    await expect(loadModelDir(dir)).rejects.toThrow(
      `${join(dir, "weights.bin")}: expected 1628200 bytes`,
    );
  });
});
