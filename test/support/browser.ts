/**
 * A headless Chromium for browser tests: the system's (Debian's /usr/bin/chromium, or
 * CHROMIUM_PATH) when there is one, else the build shipped inside the npm package
 * `@sparticuz/chromium` (inflated to /tmp on first use), so the tests need nothing outside
 * the npm registry. playwright-core drives it and downloads nothing.
 */
import { existsSync } from "node:fs";
import sparticuz from "@sparticuz/chromium";
import { type Browser, chromium } from "playwright-core";

const SYSTEM_CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

function systemChromium(): string | undefined {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`CHROMIUM_PATH: no file at ${explicit}`);
    return explicit;
  }
  return SYSTEM_CHROMIUM.find((path) => existsSync(path));
}

export async function launchBrowser(): Promise<Browser> {
  const system = systemChromium();
  if (system) {
    return chromium.launch({
      executablePath: system,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
      timeout: 30_000,
    });
  }
  return chromium.launch({
    executablePath: await sparticuz.executablePath(),
    // The package's flags include --single-process etc. for serverless; we run as root.
    args: [...sparticuz.args, "--no-sandbox"],
    timeout: 30_000,
  });
}
