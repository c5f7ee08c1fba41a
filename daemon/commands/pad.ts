// `maskgate pad`: image or video paths on stdin, one JSON line per path on stdout, in input order:
// {"path","score","attack"} or {"path","error","message"}. score is the fused attack score (higher:
// more likely an attack; a video's frames are fused as a track's would be); attack compares it
// with the PAD threshold in force. A bad input never stops the run; logs go to stderr.
import { createInterface } from 'node:readline';
import type { PadOutcome } from '../../field-tools/photo-pad.js';
import type { Command } from './command.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions } from './shared.js';
import { openPhotoPad } from './tool-options.js';

export function padLine(path: string, outcome: PadOutcome, threshold: number): string {
  if (!outcome.ok) return JSON.stringify({ path, error: outcome.error, message: outcome.message });
  return JSON.stringify({ path, score: Number(outcome.score.toFixed(6)), attack: outcome.score >= threshold, frames: outcome.frames });
}

export const padCommand: Command = {
  name: 'pad',
  summary: 'Presentation-attack score of each image or video path read on stdin; one JSON line per path on stdout',
  usage: 'maskgate pad [--config <file>]   (paths on stdin, one per line)',
  async run(args, io) {
    const { values } = parseOptions(args, { ...CONFIG_OPTION });
    const loaded = loadConfigAndLogger(values.config, 'warn');
    const { core, pad } = await openPhotoPad(loaded.config, loaded.logger);
    const threshold = loaded.config.pad.threshold;
    let count = 0;
    try {
      for await (const line of createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
        const path = line.trim();
        if (path === '') continue;
        io.stdout.write(`${padLine(path, await pad.score(path), threshold)}\n`);
        count++;
      }
      loaded.logger.info({ inputs: count, modelId: pad.modelId }, 'pad finished');
      return 0;
    } finally {
      await core.close();
    }
  },
};
