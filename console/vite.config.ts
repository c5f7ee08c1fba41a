// The console is built to dist/console, which the appliance serves at `/` (enroll/console/site.ts).
// Everything is bundled: no CDN, no inline script (the CSP forbids both).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // A small bundle for a 2-core appliance and a tablet at the door; no source maps shipped.
    sourcemap: false,
    assetsInlineLimit: 0,
    target: 'es2022',
  },
});
