// Adds up the vitest JSON and pytest JUnit reports into the one closing line CI reads.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'var/test-reports';
let passed = 0;
let failed = 0;
let skipped = 0;

const vitestPath = join(dir, 'vitest.json');
if (existsSync(vitestPath)) {
  const r = JSON.parse(readFileSync(vitestPath, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A test file that fails to load fails its suite without failing a test: count it.
  if (r.numFailedTests === 0) failed += r.numFailedTestSuites;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
} else {
  failed += 1;
  console.error('no vitest report');
}

const pytestPath = join(dir, 'pytest.xml');
if (existsSync(pytestPath)) {
  const xml = readFileSync(pytestPath, 'utf8');
  const suite = xml.match(/<testsuite [^>]*>/)?.[0] ?? '';
  const attr = (name) => Number(suite.match(new RegExp(`\\b${name}="(\\d+)"`))?.[1] ?? 0);
  const total = attr('tests');
  const bad = attr('failures') + attr('errors');
  const skip = attr('skipped');
  if (total === 0) failed += 1;
  passed += total - bad - skip;
  failed += bad;
  skipped += skip;
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
