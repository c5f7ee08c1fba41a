// Where the built console is: `npm run build` writes it to dist/console (vite, see
// console/vite.config.ts). The daemon runs from dist/daemon, tests from the sources in daemon/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CANDIDATES = ['../console/', '../dist/console/'];

/** The directory holding the console's index.html, or null when it has not been built. */
export function findConsoleRoot(): string | null {
  for (const relative of CANDIDATES) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return null;
}
