/**
 * The drawing page with a convnet, in a real Chromium against a real Bun server: the page
 * names the model it runs and predicts (with the general plain-TS forward pass in the
 * browser) what the server predicts for the same canvas.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { train } from "../../src/train/train.ts";
import { launchChromium, openPredictPage, serverPredictionOfPad } from "../support/browser.ts";
import { type RealServer, startServer } from "../support/servers.ts";
import { smallConvnet } from "../support/small-convnet.ts";

let dir: string;
let server: RealServer;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-page-convnet-"));
  await train({
    workers: 2,
    epochs: 1,
    trainLimit: 6000,
    testLimit: 500,
    out: join(dir, "model"),
    checkpointDir: false,
    model: smallConvnet(8),
  });
  server = await startServer("bun", join(dir, "model"));
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("the page names the convnet and predicts what the server predicts", async () => {
  const page = await openPredictPage(browser, server.url);
  try {
    const status = await page.locator("#status").textContent();
    expect(status).toContain(
      "28×28×1 → Conv2D(8, 3×3, relu) → MaxPooling2D(2×2) → Flatten → Dense(10, softmax)",
    );
    expect(status).toContain("13,610 parameters");

    const box = await page.locator("#pad").boundingBox();
    if (!box) throw new Error("#pad is not visible");
    const at = (x: number, y: number) =>
      [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280] as const;
    await page.mouse.move(...at(70, 60));
    await page.mouse.down();
    for (const [x, y] of [
      [210, 60],
      [130, 240],
    ])
      await page.mouse.move(...at(x, y), { steps: 12 });
    await page.mouse.up();
    await page.waitForFunction(() => Number(document.body.dataset.predictions ?? 0) > 0);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
    const inPage = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>("#bars .bar")].map((b) => Number(b.dataset.p)),
    );

    const served = await serverPredictionOfPad(page, server.url);
    expect(served.status).toBe(200);
    expect(Math.max(...served.probabilities)).toBeGreaterThan(0.2);
    for (let k = 0; k < 10; k++) {
      expect(Math.abs(served.probabilities[k] - inPage[k])).toBeLessThan(1e-4);
    }
  } finally {
    await page.close();
  }
}, 60_000);
