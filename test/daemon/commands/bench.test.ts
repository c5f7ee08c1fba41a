// `maskgate bench` starts the built benchmark as its own process and passes its output and exit
// code through; the daemon never imports bench/ (the layer rule in npm test checks that).
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BENCH_SCRIPT, benchCommand } from '../../../daemon/commands/bench.js';
import { runWithIo } from '../../helpers/command-io.js';

describe.skipIf(!existsSync(BENCH_SCRIPT))('maskgate bench (needs npm run build for dist/bench/run.js)', () => {
  it('prints the benchmark usage from the child process and exits 0', async () => {
    const { code, stdout } = await runWithIo((io) => benchCommand.run(['--help'], io));
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: maskgate bench [--quick]');
  });

  it('passes a usage error and its exit code 2 through', async () => {
    const { code, stderr } = await runWithIo((io) => benchCommand.run(['--only', 'no-such-section'], io));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^bench: .*no-such-section/);
  });
});
