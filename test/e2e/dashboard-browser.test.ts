/**
 * The dashboard in a real Chromium (test/support/browser.ts), served by a real Bun server
 * from the same Hono app the coordinator runs, fed a scripted run event by event: the curves
 * gain points and the progress advances while events arrive; at the end the confusion matrix
 * matches the evaluation. Screenshots go to docs/.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { buildDashboardPage } from "../../src/adapter/dashboard-build.ts";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { type RunningServer, serve } from "../../src/adapter/serve.ts";
import type { ImageSet } from "../../src/core/dataset.ts";
import { Rng } from "../../src/core/rng.ts";
import { EventLog } from "../../src/dashboard/event-log.ts";
import { type DashboardEvent, dashboardRetention } from "../../src/dashboard/events.ts";
import { createShardApp } from "../../src/server/shards.ts";
import { launchChromium } from "../support/browser.ts";
import {
  epochEvent,
  evaluationEvent,
  RUN,
  STEP_STRIDE,
  startEvents,
  stepEvent,
  workerTimes,
} from "../support/scripted-run.ts";

const DOCS = join(import.meta.dir, "../..", "docs");

let server: RunningServer;
let browser: Browser;
let test10k: ImageSet;
const log = new EventLog<DashboardEvent>({ retention: dashboardRetention });

beforeAll(async () => {
  test10k = (await loadIdxDataset()).test;
  const app = createShardApp(
    { token: "unused", count: 0, shard: () => new Uint8Array() },
    { dashboard: { log, page: buildDashboardPage() } },
  );
  server = serve(app.fetch);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openDashboard(width: number, height: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(`${server.url}/dashboard`);
  await page.waitForSelector("body[data-connected='true']");
  expect(errors).toEqual([]);
  return page;
}

const pointsOf = (page: Page) =>
  page.evaluate(() => Number(document.getElementById("loss-chart")?.dataset.points ?? 0));
const progressOf = (page: Page) => page.evaluate(() => Number(document.body.dataset.progress ?? 0));

/** Pushes an epoch's step events from `from` to `to` (exclusive), a few ms apart. */
async function playSteps(rng: Rng, epoch: number, from: number, to: number): Promise<void> {
  for (let step = from; step < to; step += STEP_STRIDE) {
    log.push(stepEvent(rng, epoch, step));
    if (step % (4 * STEP_STRIDE) === 0) log.push(workerTimes(rng, epoch, step));
    await Bun.sleep(5);
  }
}

test("live curves, progress, marks, and the final confusion matrix", async () => {
  const rng = Rng.fromSeed(3);
  const page = await openDashboard(1280, 900);
  for (const e of startEvents(test10k.count)) log.push(e);
  await playSteps(rng, 0, STEP_STRIDE, 200);

  await page.waitForFunction(() => document.body.dataset.state === "training");
  await page.waitForFunction(
    () => Number(document.getElementById("loss-chart")?.dataset.points) > 0,
  );
  const points1 = await pointsOf(page);
  const progress1 = await progressOf(page);
  expect(await page.locator("#summary").textContent()).toContain("784→512→10");

  await playSteps(rng, 0, 200, RUN.steps + 1);
  log.push(epochEvent(0));
  log.push({ type: "checkpoint", dir: "models/mnist.checkpoint", epoch: 1 });
  await playSteps(rng, 1, STEP_STRIDE, 160);
  log.push({ type: "recovered", epoch: 1, step: 160, workers: [1], reason: "worker 1 exited" });
  await playSteps(rng, 1, 160, 300);

  // The same page, without reloading, has gained points and progress.
  await page.waitForFunction(
    (before) => Number(document.getElementById("loss-chart")?.dataset.points) > before,
    points1,
  );
  expect(progress1).toBeGreaterThan(0);
  // The last step pushed: epoch 2 (index 1), step 296.
  await page.waitForFunction(
    (done) => Number(document.body.dataset.progress) === done,
    RUN.steps + 296,
  );
  await page.waitForFunction(
    () => document.querySelectorAll("#timeline li.recovered").length === 1,
  );
  expect(await page.locator("#workers .wbar").count()).toBe(2);
  expect(await page.locator("#progress-text").textContent()).toContain("Epoch 2 / 3");
  await page.screenshot({ path: join(DOCS, "dashboard-live.png") });

  await playSteps(rng, 1, 300, RUN.steps + 1);
  log.push(epochEvent(1));
  log.push({ type: "checkpoint", dir: "models/mnist.checkpoint", epoch: 2 });
  await playSteps(rng, 2, STEP_STRIDE, RUN.steps + 1);
  log.push(epochEvent(2));
  log.push({ type: "checkpoint", dir: "models/mnist.checkpoint", epoch: 3 });
  const { event: evaluation, predicted } = evaluationEvent(test10k);
  log.push(evaluation);
  log.push({ type: "saved", dir: "models/mnist" });
  log.push({ type: "end", status: "done" });

  await page.waitForFunction(() => document.body.dataset.state === "done");
  await page.waitForSelector("#confusion td.cell");
  const cells = await page.$$eval("#confusion tbody tr", (rows) =>
    rows.map((r) =>
      [...r.querySelectorAll<HTMLElement>("td.cell")].map((td) => Number(td.dataset.count)),
    ),
  );
  const total = cells.flat().reduce((a, b) => a + b, 0);
  console.log(`confusion matrix in the page: ${total} cells summed, ${cells.length} rows`);
  expect(total).toBe(test10k.count);
  // Every cell equals the count of (true, predicted) pairs of the evaluation.
  for (let t = 0; t < 10; t++) {
    for (let p = 0; p < 10; p++) {
      let pairs = 0;
      for (let i = 0; i < test10k.count; i++)
        if (test10k.labels[i] === t && predicted[i] === p) pairs++;
      expect(cells[t][p]).toBe(pairs);
    }
  }
  expect(await page.locator("#mistakes figure").count()).toBe(16);
  expect(await page.locator("#classes .bar").count()).toBe(10);
  expect(await progressOf(page)).toBe(3 * RUN.steps);
  await page.screenshot({ path: join(DOCS, "dashboard-done.png"), fullPage: true });
  await page.close();
}, 120_000);

test("a page opened after the run gets the whole history; a narrow window does not overflow", async () => {
  const page = await openDashboard(420, 900);
  await page.waitForFunction(() => document.body.dataset.state === "done");
  await page.waitForSelector("#confusion td.cell");
  const total = await page.$$eval("#confusion td.cell", (tds) =>
    tds.reduce((a, td) => a + Number((td as HTMLElement).dataset.count), 0),
  );
  expect(total).toBe(test10k.count);
  const steps = log.history().filter((e) => e.event.type === "step" && e.event.step > 0).length;
  expect(await pointsOf(page)).toBe(steps);
  expect(await page.locator("#timeline li.checkpoint").count()).toBe(3);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBe(0);
  await page.screenshot({
    path: join(import.meta.dir, "../artifacts", "dashboard-narrow.png"),
    fullPage: true,
  });
  await page.close();
}, 60_000);
