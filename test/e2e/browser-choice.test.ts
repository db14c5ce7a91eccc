/** Which Chromium the browser tests use (support/browser.ts). */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { findChromium } from "../support/browser.ts";

test("CHROMIUM_PATH, when it exists, is the system browser", async () => {
  const choice = await findChromium({ CHROMIUM_PATH: process.execPath });
  expect(choice).toEqual({ source: "system", executablePath: process.execPath });
});

test("a CHROMIUM_PATH that does not exist is an error naming it, not a silent fallback", async () => {
  await expect(findChromium({ CHROMIUM_PATH: "/nonexistent/chromium" })).rejects.toThrow(
    'CHROMIUM_PATH: expected a Chromium executable, got "/nonexistent/chromium" (not found)',
  );
});

test("without CHROMIUM_PATH: /usr/bin/chromium if installed, else the npm package's", async () => {
  const choice = await findChromium({});
  const system = existsSync("/usr/bin/chromium");
  expect(choice.source).toBe(system ? "system" : "@sparticuz/chromium");
  expect(existsSync(choice.executablePath)).toBe(true);
}, 60_000);
