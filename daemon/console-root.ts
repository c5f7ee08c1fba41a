// Where the built console is: `npm run build` writes it to dist/console (vite, see
// console/vite.config.ts). The daemon runs from dist/daemon, tests from the sources in daemon/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// From the sources, ../console/ is the console's *source* folder (its index.html points at
// TypeScript): only a folder with the built assets/ beside index.html counts.
const CANDIDATES = ['../dist/console/', '../console/'];

/** The directory holding the built console (index.html and assets/), or null when it has not been built. */
export function findConsoleRoot(): string | null {
  for (const relative of CANDIDATES) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}index.html`) && existsSync(`${dir}assets`)) return dir;
  }
  return null;
}
