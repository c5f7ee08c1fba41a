// The installation directory (where maskgate's package.json and the shipped models/ live), found
// from this module's own location so it is right from the sources (tests) and from dist/ alike,
// and whatever directory the appliance is started from. The one way to find the install root.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function isMaskgatePackage(dir: string): boolean {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'maskgate';
}

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models')) && isMaskgatePackage(dir)) return dir;
    if (dirname(dir) === dir) throw new Error(`maskgate installation not found above ${start}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
