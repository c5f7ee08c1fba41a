// `maskgate bench`: the benchmark suite, started as its own process (node dist/bench/run.js, the
// same entry as `npm run bench`). bench/ sits above daemon/ (it drives the whole appliance), so
// the daemon never imports it: it only starts the built script and passes its output through.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../firmware-config/package-root.js';
import type { Command } from './command.js';

/** The built benchmark entry; the report's `command` field is told how it was started. */
export const BENCH_SCRIPT = join(PACKAGE_ROOT, 'dist', 'bench', 'run.js');
export const BENCH_COMMAND_ENV = 'MASKGATE_BENCH_COMMAND';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'Measure speed and cost (latency per stage, throughput, 1:N search, memory) and write a JSON report',
  usage:
    'maskgate bench [--quick] [--out <report.json>] [--only <sections>] [--skip <sections>] [--gallery-sizes <n,...>] [--providers <tensorrt,cuda,cpu>] [--python <interpreter>] [--lfw <dir>]',
  run(args, io) {
    if (!existsSync(BENCH_SCRIPT)) {
      io.stderr.write(`maskgate bench: ${BENCH_SCRIPT} is missing; build it first with npm run build\n`);
      return Promise.resolve(1);
    }
    const child = spawn(process.execPath, [BENCH_SCRIPT, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [BENCH_COMMAND_ENV]: 'maskgate bench' },
    });
    child.stdout.pipe(io.stdout, { end: false });
    child.stderr.pipe(io.stderr, { end: false });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      // A benchmark killed by a signal has failed: exit code 1, as for a failed section.
      child.once('close', (code) => resolve(code ?? 1));
    });
  },
};
