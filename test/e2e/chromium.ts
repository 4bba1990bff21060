// Headless Chromium for the browser tests: the Debian `chromium` package, driven by playwright-core.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

// CHROMIUM_PATH only exists to try the skip path; the tests use the Debian package's binary.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** Says once, in one line, why a browser test file is skipped. */
export function noteSkipped(file: string): void {
  if (!hasChromium) {
    console.log(
      `Browser tests skipped: ${CHROMIUM} not found (install it with \`apt-get install chromium\` to run ${file}).`,
    );
  }
}

export const launchChromium = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
