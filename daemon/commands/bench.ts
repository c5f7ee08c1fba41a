// `maskgate bench`: the benchmark suite (bench/run.ts), the same entry as `npm run bench`.
// Loaded on demand so that other commands do not pay for the benchmark's modules.
import type { Command } from './command.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'Measure speed and cost (latency per stage, throughput, 1:N search, memory) and write a JSON report',
  usage:
    'maskgate bench [--quick] [--out <report.json>] [--only <sections>] [--skip <sections>] [--gallery-sizes <n,...>] [--providers <tensorrt,cuda,cpu>] [--python <interpreter>] [--lfw <dir>]',
  async run(args, io) {
    const { runBenchCli } = await import('../../bench/run.js');
    return runBenchCli(args, io, 'maskgate bench');
  },
};
