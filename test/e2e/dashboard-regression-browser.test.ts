/**
 * The dashboard of a regression run, in a real Chromium: a scripted event stream (the shapes a
 * run emits, with Keras-named metrics) served by the dashboard routes. The metric chart and
 * the epochs table follow the run's metrics (mae, not accuracy), and the final evaluation is
 * a predicted-vs-true plot instead of a confusion matrix.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { buildDashboardPage } from "../../src/adapter/dashboard-build.ts";
import { type RunningServer, serve } from "../../src/adapter/serve.ts";
import { EventLog } from "../../src/dashboard/event-log.ts";
import { type DashboardEvent, dashboardRetention } from "../../src/dashboard/events.ts";
import { dashboardRoutes } from "../../src/server/dashboard.ts";
import { launchChromium } from "../support/browser.ts";

const EPOCHS = 3;
let browser: Browser;
let server: RunningServer;

/** Keras-style epoch records: loss (mse) and mae, train and test. */
function epochEvent(epoch: number): DashboardEvent {
  const metrics = {
    epoch,
    loss: 60 / epoch,
    mae: 6 / epoch,
    test: { loss: 70 / epoch, mae: 6.5 / epoch },
    trainSeconds: 0.5,
    liveTensors: [0],
  };
  return { type: "epoch", metrics } as unknown as DashboardEvent;
}

beforeAll(async () => {
  const log = new EventLog<DashboardEvent>({ retention: dashboardRetention });
  const truth = Array.from({ length: 50 }, (_, i) => 10 + i * 0.5);
  const predicted = truth.map((t, i) => t + (i % 2 === 0 ? 1 : -1));
  const events: DashboardEvent[] = [
    {
      type: "start",
      epochs: EPOCHS,
      steps: 26,
      workers: 1,
      batchSize: 16,
      trainSamples: 404,
      parameters: 5121,
    },
    ...Array.from({ length: EPOCHS }, (_, i) => epochEvent(i + 1)),
    { type: "regressionEvaluation", truth, predicted },
    { type: "end", status: "done" },
  ];
  for (const event of events) log.push(event);
  const app = dashboardRoutes({ log, page: buildDashboardPage() });
  server = serve(app.fetch);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test("mae curves and columns, and predicted vs true instead of a confusion matrix", async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  try {
    await page.goto(`${server.url}/dashboard`);
    await page.waitForFunction(() => document.body.dataset.state === "done");
    await page.waitForSelector("#regression-chart[data-points='50']");
    expect(await page.locator("#metric-title").textContent()).toBe("Mae");
    expect(await page.locator("#regression-card").isVisible()).toBe(true);
    expect(await page.locator("#confusion-card").isVisible()).toBe(false);
    expect(await page.locator("#regression-caption").textContent()).toBe(
      "50 test samples, mean absolute error 1.0000",
    );
    const head = await page.$$eval("#epochs th", (ths) => ths.map((th) => th.textContent));
    expect(head).toEqual(["epoch", "train loss", "test loss", "train mae", "test mae", "time"]);
    const last = await page.$$eval("#epochs tbody tr:last-child td", (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(last).toEqual(["3", "20.0000", "23.3333", "2.0000", "2.1667", "0.5 s"]);
    expect(await page.locator("#timeline li.epoch").last().textContent()).toBe(
      "epoch 3: test mae 2.1667, loss 23.3333 (0.5 s)",
    );
  } finally {
    await page.close();
  }
});
