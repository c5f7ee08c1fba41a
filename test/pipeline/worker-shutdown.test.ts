// Closing the native-code workers (the ORT gallery scan, the usearch HNSW index) never aborts the
// process, however early or late it comes, and a scan already posted still gets its answer.
// The abort it guards against kills the whole process (std::terminate), so it is watched from a
// child process running the built dist/, which `npm test` builds first.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkerGalleryScanner } from '../../pipeline/gallery-scan-worker.js';

const DIST = resolve(import.meta.dirname, '../../dist/pipeline');
const built = existsSync(resolve(DIST, 'gallery-scan-worker.js')) && existsSync(resolve(DIST, 'ann-index-worker.js'));

// Close each worker at a random moment of its life: while ORT still creates its session, while a
// usearch build batch runs on two threads, or when idle.
const CHILD = `
const [scanPath, indexPath] = process.argv.slice(2);
const { WorkerGalleryScanner } = await import(scanPath);
const { AnnIndexWorker } = await import(indexPath);
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < 25; i++) {
  const scanner = WorkerGalleryScanner.create({});
  const index = AnnIndexWorker.create({ dimension: 64, connectivity: 16, expansionAdd: 64, expansionSearch: 64, quantization: 'f32', addThreads: 2 });
  index.add(Float64Array.from({ length: 1500 }, (_, k) => k), new Float32Array(1500 * 64).map(() => Math.random() - 0.5));
  await pause(Math.random() * 40);
  await Promise.all([scanner.close(), index.close()]);
}
process.stdout.write('closed 25 of each\\n');
`;

function runChild(script: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const args = [script, resolve(DIST, 'gallery-scan-worker.js'), resolve(DIST, 'ann-index-worker.js')];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
}

describe('closing native-code workers', () => {
  it.skipIf(!built)('never aborts the process, whatever the worker is doing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-worker-close-'));
    const script = join(dir, 'child.mjs');
    writeFileSync(script, CHILD);
    const { code, signal, stdout, stderr } = await runChild(script).finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(stderr).not.toMatch(/terminate called|Napi::Error/);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(stdout).toContain('closed 25 of each');
  });

  it('answers a scan posted before the close, then refuses new ones', async () => {
    const scanner = WorkerGalleryScanner.create({});
    const rows = Float32Array.of(1, 0, 0, 1, 0.6, 0.8);
    const inFlight = scanner.scan(rows, 3, 2, Float32Array.of(1, 0), 1);
    await scanner.close();
    expect(Array.from(await inFlight)).toEqual([1, 0, expect.closeTo(0.6, 6)]);
    await expect(scanner.scan(rows, 3, 2, Float32Array.of(1, 0), 1)).rejects.toThrow(/exited/);
  });
});
