/**
 * The page for a model trained on a table, in a real Chromium served by a real Bun server: the
 * heading names the model, a form is built from the columns (a number box per number column, a
 * menu of the categories per string column), and the page predicts what POST /predict answers
 * for the same row.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium, openPredictPage } from "../support/browser.ts";
import { type RealServer, startServer } from "../support/servers.ts";
import { saveCarsModel } from "../support/table-model.ts";

let dir: string;
let server: RealServer;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-page-table-"));
  await saveCarsModel(join(dir, "model"));
  server = await startServer("bun", join(dir, "model"));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("a form from the columns; the page predicts what the server answers for the row", async () => {
  const page = await openPredictPage(browser, server.url);
  try {
    expect(await page.locator("#title").textContent()).toBe("Predict Kind");
    expect(await page.locator("#subtitle").textContent()).toContain(
      "trained by shardfit on cars.csv",
    );
    expect(await page.locator("#pad").isVisible()).toBe(false);
    expect(await page.$$eval("#table-form label", (ls) => ls.map((l) => l.textContent))).toEqual([
      "Cylinders",
      "Weight",
      "Origin",
    ]);
    expect(
      await page.$$eval("#column-Origin option", (os) => os.map((o) => o.textContent)),
    ).toEqual(["Europe", "Japan", "USA"]);
    await page.fill("#column-Cylinders", "8");
    await page.fill("#column-Weight", "3900");
    await page.selectOption("#column-Origin", "USA");
    await page.waitForFunction(() => Number(document.body.dataset.predictions ?? 0) >= 3);
    const shown = await page.$$eval("#bars .bar", (bars) => bars.map((b) => Number(b.dataset.p)));
    const res = await fetch(`${server.url}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rows: [{ Cylinders: 8, Weight: 3900, Origin: "USA" }] }),
    });
    const { predictions } = (await res.json()) as {
      predictions: { className: string; probabilities: number[] }[];
    };
    expect(shown).toEqual(predictions[0].probabilities.map((p) => Number(p.toFixed(4))));
    expect(await page.locator("#digit").textContent()).toBe(predictions[0].className);
    expect(await page.$$eval("#bars > span:not(.pct)", (s) => s.map((e) => e.textContent))).toEqual(
      ["big", "mid", "small"],
    );
  } finally {
    await page.close();
  }
});
