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

// Without a locale of its own the bundled build reports "en-US@posix" (from LANG=C), an
// invalid tag that makes Intl.NumberFormat(navigator.language) throw in pages.
const LOCALE_ARGS = ["--lang=en-US"];
const LOCALE_ENV = { ...process.env, LANG: "en_US.UTF-8" };

export async function launchBrowser(): Promise<Browser> {
  const system = systemChromium();
  if (system) {
    return chromium.launch({
      executablePath: system,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        ...LOCALE_ARGS,
      ],
      env: LOCALE_ENV,
      timeout: 30_000,
    });
  }
  return chromium.launch({
    executablePath: await sparticuz.executablePath(),
    // The package's flags are for serverless; --single-process there would end the whole
    // browser when a test closes its last page. --no-sandbox: tests run as root.
    args: [
      ...sparticuz.args.filter((a) => a !== "--single-process"),
      "--no-sandbox",
      ...LOCALE_ARGS,
    ],
    env: LOCALE_ENV,
    timeout: 30_000,
  });
}
