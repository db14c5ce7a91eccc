/**
 * The drawing page in a real Chromium (the system's, else @sparticuz/chromium's: see
 * support/browser.ts), served by a real Bun server: draw strokes with mouse and touch, see a prediction and the
 * chart, and check that the page predicts exactly what the server predicts for the same canvas.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium, openPredictPage, serverPredictionOfPad } from "../support/browser.ts";
import { trainedModelDir } from "../support/model-fixture.ts";
import { type RealServer, startServer } from "../support/servers.ts";

const ARTIFACTS = join(import.meta.dir, "../artifacts");

let server: RealServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer("bun", await trainedModelDir());
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

interface PageState {
  digit: string;
  predictions: number;
  probabilities: number[];
  widths: number[];
  topBars: number;
}

function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const bars = [...document.querySelectorAll<HTMLElement>("#bars .bar")];
    return {
      digit: document.getElementById("digit")?.textContent ?? "",
      predictions: Number(document.body.dataset.predictions ?? 0),
      probabilities: bars.map((b) => Number(b.dataset.p)),
      widths: bars.map((b) => b.getBoundingClientRect().width),
      topBars: document.querySelectorAll("#bars .bar.top").length,
    };
  });
}

/**
 * Waits until the page has run the prediction its last pointer event scheduled (in the next
 * animation frame, before ours) and its bars' width transitions have ended.
 */
async function settled(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  await page.waitForFunction(() => document.getAnimations().length === 0);
}

/** Drags the mouse through `points` (pad coordinates, 0..280) with many intermediate moves. */
async function drawStroke(page: Page, points: [number, number][]): Promise<void> {
  const box = await page.locator("#pad").boundingBox();
  if (!box) throw new Error("#pad is not visible");
  const at = ([x, y]: [number, number]) =>
    [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280] as const;
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 12 });
  await page.mouse.up();
}

const openPage = () => openPredictPage(browser, server.url);

test("draw a 7 with the mouse: the digit and the bar chart update", async () => {
  const page = await openPage();
  try {
    const before = await pageState(page);
    expect(before.digit).toBe("–");
    expect(before.widths.every((w) => w === 0)).toBe(true);
    await expect(page.locator("#status").textContent()).resolves.toContain("784→512→10");
    expect(await page.locator("#title").textContent()).toBe("Draw a digit");
    await expect(page.locator("#subtitle").textContent()).resolves.toContain(
      "A 784→512→10 network trained by shardfit on",
    );
    // How the model was trained, from model.json's summary: 1 epoch, accuracy per class.
    expect(await page.locator("#training-history tr").count()).toBe(2);
    const classes = await page.$$eval("#training-classes td", (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(classes).toHaveLength(11);
    expect(classes.slice(1).every((t) => /^\d+\.\d\d%$/.test(t ?? ""))).toBe(true);

    await drawStroke(page, [
      [70, 60],
      [210, 60],
      [130, 240],
    ]);
    await page.waitForFunction(() => Number(document.body.dataset.predictions ?? 0) > 0);
    await settled(page);
    const after = await pageState(page);
    console.log(`page predicts ${after.digit}: ${after.probabilities.join(" ")}`);
    expect(after.digit).toBe("7");
    expect(after.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    // The top bar is the predicted digit's, drawn widest and highlighted.
    const top = after.probabilities.indexOf(Math.max(...after.probabilities));
    expect(top).toBe(7);
    expect(after.widths[7]).toBe(Math.max(...after.widths));
    expect(after.widths[7]).toBeGreaterThan(50);
    expect(after.topBars).toBe(1);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "page.png") });

    // The page and the server's PNG path preprocess and predict identically.
    const served = await serverPredictionOfPad(page, server.url);
    expect(served.status).toBe(200);
    expect(served.label).toBe(7);
    for (let k = 0; k < 10; k++) {
      expect(Math.abs(served.probabilities[k] - after.probabilities[k])).toBeLessThan(1e-4);
    }

    await page.click("#clear");
    const cleared = await pageState(page);
    expect(cleared.digit).toBe("–");
    expect(cleared.probabilities.every((p) => p === 0)).toBe(true);
  } finally {
    await page.close();
  }
}, 60_000);

test("draw a 1 with touch events", async () => {
  const context = await browser.newContext({
    viewport: { width: 760, height: 520 },
    hasTouch: true,
  });
  const page = await context.newPage();
  try {
    page.setDefaultTimeout(15_000);
    await page.goto(`${server.url}/`);
    await page.waitForSelector("body[data-ready='true']");
    const box = await page.locator("#pad").boundingBox();
    if (!box) throw new Error("#pad is not visible");
    // Playwright has no touch drag, so send the raw CDP touch events a finger would.
    const cdp = await context.newCDPSession(page);
    const x = box.x + box.width / 2;
    const touch = (type: "touchStart" | "touchMove" | "touchEnd", y: number) =>
      cdp.send("Input.dispatchTouchEvent", {
        type,
        touchPoints: type === "touchEnd" ? [] : [{ x, y: box.y + y, radiusX: 4, radiusY: 4 }],
      });
    await touch("touchStart", 50);
    for (let y = 60; y <= 230; y += 10) await touch("touchMove", y);
    await touch("touchEnd", 230);
    await page.waitForFunction(() => Number(document.body.dataset.predictions ?? 0) > 0);
    await settled(page);
    const state = await pageState(page);
    expect(state.digit).toBe("1");
    expect(state.probabilities.indexOf(Math.max(...state.probabilities))).toBe(1);
  } finally {
    await context.close();
  }
}, 60_000);
