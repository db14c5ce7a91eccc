import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import { decodeBase64Url } from "../../src/core/format/base64url.ts";
import { confusionMatrix, matrixTotals } from "../../src/core/metric/confusion.ts";
import { predictPixelsBatch } from "../../src/core/model/forward.ts";
import { modelLayout } from "../../src/core/model/sequential.ts";
import type { DashboardMessage } from "../../src/server/dashboard.ts";
import { useWasmBackend } from "../../src/tf/backend.ts";
import { train } from "../../src/train/train.ts";
import type { TrainEvent, TrainResult } from "../../src/train/types.ts";
import { finished } from "../support/process.ts";
import { SseReader } from "../support/sse.ts";

let dataset: Dataset;
let dir: string;
let result: TrainResult;
const events: TrainEvent[] = [];

beforeAll(async () => {
  dataset = await loadIdxDataset();
  dir = await mkdtemp(join(tmpdir(), "shardfit-train-"));
  result = await train({
    dataset,
    workers: 2,
    epochs: 2,
    trainLimit: 12000,
    out: join(dir, "model"),
    onProgress: (e) => events.push(e),
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Test images as a [n, 784] float tensor in [0, 1]. */
function testImages(n: number) {
  return tf.tidy(() =>
    tf.div(tf.tensor2d(dataset.test.images.subarray(0, n * 784), [n, 784], "int32").toFloat(), 255),
  );
}

describe("a short real training run", () => {
  test("two epochs over 12,000 samples with 2 workers reach ≥ 93% test accuracy", () => {
    expect(result.history).toHaveLength(2);
    expect(result.history[1].testAccuracy).toBeGreaterThanOrEqual(0.93);
    expect(result.history[1].trainLoss).toBeLessThan(result.history[0].trainLoss);
    expect(result.workers).toBe(2);
  });

  test("throughput is the samples trained over the training time", () => {
    const epochSeconds = result.history.map((h) => h.trainSeconds);
    expect(Math.min(...epochSeconds)).toBeGreaterThan(0);
    expect(result.trainSeconds).toBeCloseTo(epochSeconds[0] + epochSeconds[1], 9);
    const expected = (12000 * 2) / result.trainSeconds;
    expect(Math.abs(result.samplesPerSecond / expected - 1)).toBeLessThan(1e-12);
  });

  test("reports start, step, epoch and saved events", () => {
    const types = events.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(["start", "settings", "training"]);
    // Keras's History keys; the test set's loss and metrics.
    const metrics = (
      events.filter((e) => e.type === "epoch").at(-1) as Extract<TrainEvent, { type: "epoch" }>
    ).metrics;
    expect(metrics.metrics).toEqual({ loss: metrics.trainLoss, accuracy: metrics.trainAccuracy });
    expect(metrics.test).toEqual({ loss: metrics.testLoss, accuracy: metrics.testAccuracy });
    // MNIST's digits are class indices: the data decides sparse categorical cross-entropy.
    expect(events[2]).toEqual({
      type: "training",
      loss: "sparse_categorical_crossentropy",
      description:
        "the data decides: 10 classes (class indices) → 10 softmax outputs, loss sparse_categorical_crossentropy, metrics accuracy",
    });
    expect(types.filter((t) => t === "epoch")).toHaveLength(2);
    expect(types.slice(-2)).toEqual(["saved", "end"]);
    expect(events[0]).toMatchObject({
      type: "start",
      steps: Math.ceil(12000 / 128),
      workers: 2,
      parameters: 407050,
    });
    // Each epoch's progress reaches its end before the epoch's metrics, however short it is.
    const steps = Math.ceil(12000 / 128);
    events.forEach((e, i) => {
      if (e.type !== "epoch") return;
      const last = events
        .slice(0, i)
        .filter((p) => p.type === "step")
        .at(-1);
      expect(last).toMatchObject({ type: "step", epoch: e.metrics.epoch - 1, step: steps, steps });
    });
  });

  test("settings follow start; workers report step times split into compute and barrier wait", () => {
    expect(events[1]).toMatchObject({
      type: "settings",
      learningRate: 0.001,
      seed: 1,
      data: "in-memory data set",
      testSamples: dataset.test.count,
    });
    const settings = events[1] as Extract<TrainEvent, { type: "settings" }>;
    expect(settings.layers.map((l) => l.parameters)).toEqual([784 * 512 + 512, 512 * 10 + 10]);
    const times = events.filter((e) => e.type === "workerTimes");
    expect(times.length).toBeGreaterThan(0);
    for (const t of times) {
      for (const w of t.workers) {
        expect(w.steps).toBeGreaterThan(0);
        expect(w.computeMs).toBeGreaterThan(0);
        expect(w.barrierMs).toBeGreaterThanOrEqual(0);
      }
    }
    const steps = times.flatMap((t) => t.workers.filter((w) => w.worker === 0).map((w) => w.steps));
    // Per-tick deltas: together no more than the run's steps.
    expect(steps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2 * Math.ceil(12000 / 128));
    expect(events.at(-1)).toEqual({ type: "end", status: "done" });
  });

  test("the final evaluation's confusion matrix equals an independent plain-TS forward pass", () => {
    const evaluation = events.find((e) => e.type === "evaluation");
    if (evaluation?.type !== "evaluation") throw new Error("no evaluation event");
    const spec = result.spec;
    const model = { layout: modelLayout(spec), params: result.params };
    const test = dataset.test;
    const predictions = predictPixelsBatch(
      model,
      Array.from({ length: test.count }, (_, i) => test.images.subarray(i * 784, (i + 1) * 784)),
    );
    const expected = confusionMatrix(
      test.labels,
      predictions.map((p) => p.label),
      10,
    );
    expect(evaluation.confusion).toEqual(expected);
    const { count, correct } = matrixTotals(evaluation.confusion);
    expect(count).toBe(test.count);
    expect(correct / count).toBeCloseTo(result.history[1].testAccuracy, 12);
    expect(evaluation.mistakes).toHaveLength(16);
    for (const m of evaluation.mistakes) {
      expect(m.predicted).not.toBe(m.label);
      expect(m.label).toBe(test.labels[m.index]);
      expect(m.predicted).toBe(predictions[m.index].label);
      expect(m.confidence).toBeCloseTo(predictions[m.index].confidence, 5);
      expect(decodeBase64Url(m.pixels)).toEqual(
        test.images.subarray(m.index * 784, (m.index + 1) * 784),
      );
    }
    const confidences = evaluation.mistakes.map((m) => m.confidence);
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
  });

  test("writes model.json and weights.bin and nothing half-written", async () => {
    expect((await readdir(join(dir, "model"))).sort()).toEqual(["model.json", "weights.bin"]);
    const json = JSON.parse(await readFile(join(dir, "model", "model.json"), "utf8"));
    const summary = json.userDefinedMetadata.shardfit;
    expect(summary.testAccuracy).toBe(result.history[1].testAccuracy);
    // The summary explains the model: its per-epoch history and its confusion matrix.
    expect(summary.history).toEqual(result.history.map(({ liveTensors: _, ...m }) => m));
    const evaluation = events.find((e) => e.type === "evaluation");
    expect(evaluation?.type === "evaluation" && summary.confusion).toEqual(
      evaluation?.type === "evaluation" ? evaluation.confusion : "missing",
    );
    expect((await readFile(join(dir, "model", "weights.bin"))).length).toBe(407050 * 4);
  });

  test("the saved model reloads with tf.loadLayersModel and predicts the same", async () => {
    await useWasmBackend();
    // Serve the directory over HTTP so tfjs's own loader resolves the weights manifest.
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) =>
        new Response(Bun.file(join(dir, "model", new URL(req.url).pathname.slice(1)))),
    });
    try {
      const model = await tf.loadLayersModel(`http://127.0.0.1:${server.port}/model.json`);
      expect(model.layers.map((l) => l.getConfig().units)).toEqual([512, 10]);
      const n = dataset.test.count;
      const x = testImages(n);
      const loaded = model.predict(x) as tf.Tensor2D;
      // The same weights, straight from memory, through tfjs layers.
      const reference = tf.tidy(() => {
        const w = result.params;
        const k1 = tf.tensor2d(w.subarray(0, 784 * 512), [784, 512]);
        const b1 = tf.tensor1d(w.subarray(784 * 512, 784 * 512 + 512));
        const k2 = tf.tensor2d(w.subarray(784 * 512 + 512, 784 * 512 + 512 + 5120), [512, 10]);
        const b2 = tf.tensor1d(w.subarray(784 * 512 + 512 + 5120));
        return tf.softmax(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, k1), b1)), k2), b2));
      });
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(loaded, reference))).dataSync()[0]);
      expect(diff).toBeLessThanOrEqual(1e-5);
      const labels = tf.tensor1d(dataset.test.labels, "int32");
      const accuracy = tf.tidy(
        () => tf.mean(tf.equal(tf.argMax(loaded, 1), labels).toFloat()).dataSync()[0],
      );
      expect(accuracy).toBeCloseTo(result.history[1].testAccuracy, 6);
      tf.dispose([x, loaded, reference, labels]);
      model.dispose();
    } finally {
      await server.stop(true);
    }
  });
});

describe("the train command", () => {
  const cli = (...args: string[]) =>
    Bun.spawn([process.execPath, "src/cli/train.ts", ...args], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1" },
    });

  test("trains, prints one JSON line, and exits by itself (no worker left behind)", async () => {
    const out = join(dir, "cli-model");
    const proc = cli("--epochs", "1", "--workers", "2", "--hidden", "64", "--json", "--out", out);
    const { code, stdout } = await finished(proc);
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]);
    expect(Object.keys(summary)).toEqual([
      "epochs",
      "workers",
      "batchSize",
      "loss",
      "trainLoss",
      "trainAccuracy",
      "testLoss",
      "testAccuracy",
      "test",
      "history",
      "trainSeconds",
      "samplesPerSecond",
      "epochsRun",
      "stop",
      "kept",
      "saved",
      "modelDir",
    ]);
    expect(summary).toMatchObject({ epochs: 1, workers: 2, batchSize: 128, modelDir: out });
    expect(summary).toMatchObject({
      epochsRun: 1,
      stop: { reason: "epochs", epoch: 1 },
      kept: { epoch: 1, reason: "last epoch" },
      saved: { epoch: 1, reason: "last epoch" },
    });
    expect(summary.testAccuracy).toBeGreaterThan(0.9);
    expect(summary.loss).toBe("sparse_categorical_crossentropy");
    expect(summary.test).toEqual({ loss: summary.testLoss, accuracy: summary.testAccuracy });
    expect(summary.history).toEqual({
      loss: [summary.trainLoss],
      accuracy: [summary.trainAccuracy],
    });
    // One epoch over all 60,000 training images.
    expect(summary.trainSeconds).toBeGreaterThan(0);
    expect(Math.abs((summary.samplesPerSecond * summary.trainSeconds) / 60000 - 1)).toBeLessThan(
      1e-12,
    );
  });

  test("--dashboard --json off a terminal: stdout stays one JSON line, the URL goes to stderr, and the command exits with the run", async () => {
    const out = join(dir, "cli-dashboard");
    const proc = cli(
      "--epochs",
      "1",
      "--workers",
      "2",
      "--hidden",
      "64",
      "--json",
      "--out",
      out,
      "--dashboard",
    );
    const { code, stdout, stderr } = await finished(proc);
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ epochs: 1, workers: 2, modelDir: out });
    expect(stderr).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/dashboard$/m);
    expect(stderr).not.toContain("stays up");
  });

  test("--dashboard on a terminal stays up after the run until Ctrl-C, then exits 0", async () => {
    // `script` gives the command a pseudo-terminal; a 0x03 byte on it is Ctrl-C. `exec`: the
    // shell that `script` starts ($SHELL, or dash without it) must not stay in the foreground
    // group, where Ctrl-C kills it with 130 whatever the command exits with.
    const command = `exec ${process.execPath} src/cli/train.ts --epochs 1 --workers 2 --hidden 64 --out ${join(dir, "cli-tty")} --dashboard`;
    const proc = Bun.spawn(["script", "-qfec", command, "/dev/null"], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill(), 120_000);
    const reader = proc.stdout.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("until Ctrl-C")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the command ended without staying up:\n${text}`);
      text += decoder.decode(value);
    }
    const url = /stays up at (\S+) until Ctrl-C/.exec(text)?.[1] ?? "";
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard$/);
    // The finished run is still served: the page and its history up to the end.
    expect((await fetch(url)).status).toBe(200);
    const sse = new SseReader(await fetch(url.replace(/dashboard$/, "events")));
    const history: DashboardMessage[] = [];
    while (history.at(-1)?.event.type !== "end")
      history.push(...(await sse.take<DashboardMessage>(1)));
    expect(history.at(-1)?.event).toEqual({ type: "end", status: "done" });
    await sse.cancel();
    proc.stdin.write("\x03");
    proc.stdin.flush();
    expect(await proc.exited).toBe(0);
    clearTimeout(timer);
    await expect(fetch(url)).rejects.toThrow();
  });

  test.each([
    [["--workers", "0"], /--workers: expected an integer from 1 to 64, got "0"/],
    [["--lr", "fast"], /--lr: expected a positive number, got "fast"/],
    [["--hidden", "512,x"], /--hidden: expected positive integers/],
    [
      ["--batch-size", "1", "--workers", "2"],
      /--batch-size: expected an integer from 2 to 65536, got "1"/,
    ],
    [["--nope"], /Unknown option '--nope'/],
  ])("rejects %p with exit code 2", async (args, message) => {
    const proc = cli(...(args as string[]));
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message as RegExp);
  });

  test("a bad --data directory is a clear error, exit code 1", async () => {
    const proc = cli("--data", join(dir, "missing"), "--epochs", "1");
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `${join(dir, "missing")}: file not found (expected a .csv, .npz or a data folder)`,
    );
    expect(stderr).not.toContain("    at ");
  });
});
