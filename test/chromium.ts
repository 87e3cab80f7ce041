/**
 * The headless Chromium of the browser tests (test/browser, test/angular): installed by
 * `npm run browser:install` (apt when /usr/bin/chromium is missing), or pointed at by CHROMIUM_PATH.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Fails with how to install Chromium when it is missing (call it before starting anything else). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run \`npm run browser:install\` (npm test does) or set CHROMIUM_PATH`);
}

/** Launches Chromium headless, without the background traffic of a desktop browser. */
export function launchChromium(): Promise<Browser> {
  requireChromium();
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}
