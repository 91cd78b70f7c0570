/**
 * Debian's Chromium (`apt-get install -y chromium`; .ci/run installs it): playwright
 * cannot download its own browser builds on these machines. One definition for the
 * browser test projects (vitest.config.ts) and the e2e suite (test/e2e/support/browser.ts).
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless flags for running as root in containers without a GPU or a large /dev/shm. */
export const CHROMIUM_ARGS: string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
