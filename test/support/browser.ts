/**
 * The Chromium the browser tests drive, through playwright-core (which downloads nothing):
 * the system's (`CHROMIUM_PATH`, else Debian's /usr/bin/chromium) when there is one, else the
 * headless Chromium shipped in the npm package @sparticuz/chromium, so the tests pass on a
 * machine with only Node and npm.
 */
import { expect } from "bun:test";
import { existsSync } from "node:fs";
import sparticuz from "@sparticuz/chromium";
import { type Browser, chromium, type Page } from "playwright-core";

const SYSTEM_CHROMIUM = "/usr/bin/chromium";

/** Root with no network: no sandbox, and none of Chromium's background connections. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  // Without a locale of its own the bundled build reports "en-US@posix" (from LANG=C), an
  // invalid tag that makes Intl.NumberFormat(navigator.language) throw in pages (uPlot).
  "--lang=en-US",
];

export interface ChromiumChoice {
  readonly source: "system" | "@sparticuz/chromium";
  readonly executablePath: string;
}

/** Picks the browser; unpacks the bundled one (to the OS temp dir, once) if it is needed. */
export async function findChromium(env = process.env): Promise<ChromiumChoice> {
  const system = env.CHROMIUM_PATH ?? SYSTEM_CHROMIUM;
  if (existsSync(system)) return { source: "system", executablePath: system };
  if (env.CHROMIUM_PATH !== undefined) {
    throw new Error(`CHROMIUM_PATH: expected a Chromium executable, got "${system}" (not found)`);
  }
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(
      `no Chromium: ${SYSTEM_CHROMIUM} not found, and @sparticuz/chromium ships x86-64 Linux only` +
        ` (this is ${process.platform}-${process.arch}); install Chromium or set CHROMIUM_PATH`,
    );
  }
  return { source: "@sparticuz/chromium", executablePath: await sparticuz.executablePath() };
}

/** Launches the chosen Chromium and logs which one it is and how long it took. */
export async function launchChromium(): Promise<Browser> {
  const start = performance.now();
  const { source, executablePath } = await findChromium();
  const found = performance.now();
  const browser = await chromium.launch({
    executablePath,
    args: CHROMIUM_ARGS,
    env: { ...process.env, LANG: "en_US.UTF-8" },
    timeout: 30_000,
  });
  const launched = performance.now();
  console.log(
    `browser: ${source} Chromium ${browser.version()} at ${executablePath}` +
      ` (found/unpacked in ${Math.round(found - start)} ms, launched in ${Math.round(launched - found)} ms)`,
  );
  return browser;
}

/**
 * What the server predicts for the drawing page's pad: the canvas as a PNG, POSTed to
 * `serverUrl`/predict as the page's users could (so the page and the server's PNG path can be
 * compared).
 */
export async function serverPredictionOfPad(
  page: Page,
  serverUrl: string,
): Promise<{ status: number; label: number; probabilities: number[] }> {
  const png = await page.evaluate(async () => {
    const canvas = document.getElementById("pad") as HTMLCanvasElement;
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/png"));
    return [...new Uint8Array(await (blob as Blob).arrayBuffer())];
  });
  const res = await fetch(`${serverUrl}/predict`, {
    method: "POST",
    headers: { "content-type": "image/png" },
    body: new Uint8Array(png),
  });
  return {
    status: res.status,
    ...((await res.json()) as { label: number; probabilities: number[] }),
  };
}

/** The drawing page of `serverUrl` in a new 760×520 tab, loaded, with no page errors so far. */
export async function openPredictPage(browser: Browser, serverUrl: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 760, height: 520 } });
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${serverUrl}/`);
  await page.waitForSelector("body[data-ready='true']");
  expect(errors).toEqual([]);
  return page;
}
