// Launches the machine's Chromium for the end-to-end tests and the benchmark, with the flags this project
// needs everywhere: no sandbox (CI runs as root) and no background network traffic (only loopback is
// reachable). playwright-core never downloads a browser.
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Chromium from $CHROMIUM or /usr/bin/chromium, with the common flags and any `extraArgs`. */
export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
