// Headless Chromium for the console's browser tests: Debian's `chromium` package driven by
// playwright-core through its executablePath. No browser is ever downloaded; where the package
// is absent the tests say so and skip.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['MASKGATE_CHROMIUM'] ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);
export const CHROMIUM_MISSING = `headless Chromium not found at ${CHROMIUM} (apt-get install chromium)`;

/** A tablet at the door: the console must work at this width. */
export const TABLET = { width: 768, height: 1024 } as const;

/**
 * Chromium with a fake camera: getUserMedia gets `cameraFile` (a .y4m clip) without a
 * permission prompt, so the "take a photo" path runs as it would on a tablet.
 */
export function launchChromium(cameraFile?: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      // Tests run as root in containers, where Chromium's sandbox cannot start.
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      ...(cameraFile ? [`--use-file-for-fake-video-capture=${cameraFile}`] : []),
    ],
  });
}
