/**
 * A Chromium tab (the one test/support/browser.ts picks, as the page test uses)
 * joins a short networked run as one participant beside a Bun worker process; the run ends
 * with the weights of 2 local threads on the same global batches.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { launchChromium } from "../support/browser.ts";
import { maxAbsDiff } from "../support/reference.ts";
import {
  coordinate,
  sameGlobalBatches,
  smallRun,
  spawnWorker,
  TOKEN,
  type WorkerProcess,
} from "../support/remote.ts";

let browser: Browser;
let dataset: Dataset;
const workers: WorkerProcess[] = [];
beforeAll(async () => {
  dataset = await loadIdxDataset();
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  for (const w of workers) w.process.kill("SIGKILL");
  await browser?.close();
});

test("a browser tab and a Bun worker process compute what 2 local threads compute", async () => {
  const local = await trainWithHooks({ ...smallRun(dataset), workers: 2 }, sameGlobalBatches());
  const page = await browser.newPage();
  const console: string[] = [];
  page.on("console", (m) => console.push(m.text()));
  page.on("pageerror", (e) => console.push(String(e)));
  let tab: Promise<string> | undefined;
  const result = await coordinate(
    { ...smallRun(dataset), remote: { expectWorkers: 2, token: TOKEN } },
    sameGlobalBatches(),
    (url) => {
      workers.push(spawnWorker("bun", ["--join", url, "--token", TOKEN, "--rank", "0"]));
      const pageUrl = `${url.replace(/^ws/, "http")}#token=${TOKEN}&rank=1`;
      tab = page
        .goto(pageUrl)
        .then(() =>
          page.evaluate(
            () =>
              (window as unknown as { shardfit: { finished: Promise<string> } }).shardfit.finished,
          ),
        )
        .catch((error: Error) => `tab: ${error.message}`);
    },
    (event) => {
      if (event.type === "recovered") console.push(JSON.stringify(event));
    },
  );
  expect(await tab, console.join("\n")).toBe("the run finished");
  expect(await page.textContent("#status")).toBe("the run finished");
  expect(result.network?.participants[1].label).toContain("browser tab (Chrome/");
  expect(maxAbsDiff(result.params, local.params), console.join("\n")).toBeLessThanOrEqual(1e-5);
  expect(result.history[1].testAccuracy).toBe(local.history[1].testAccuracy);
}, 180_000);
