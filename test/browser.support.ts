import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { ROOT, scratchDir } from './apply.support.js';

/**
 * Debian's chromium, headless, driven by playwright-core: the HTML reports are checked in a real
 * browser. scripts/ensure-chromium.sh installs it (apt-get) when it is missing.
 */
export const CHROMIUM = process.env.VERTEXCTL_CHROMIUM ?? '/usr/bin/chromium';

export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  execFileSync('bash', [join(ROOT, 'scripts/ensure-chromium.sh')], { stdio: 'inherit' });
}

/** A fresh browser profile, nothing fetched from the network, no first-run or background work. */
export async function launchChromium(): Promise<BrowserContext> {
  ensureChromium();
  return chromium.launchPersistentContext(scratchDir('chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
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
}
