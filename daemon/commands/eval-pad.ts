// `maskgate eval-pad`: scores a labelled list of presentations and reports ISO/IEC 30107-3
// metrics: APCER per attack type and their maximum, BPCER (also per bona fide condition, masked
// next to unmasked), BPCER10 and BPCER100, failures to acquire apart, and the APCER–BPCER curve.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { apcerBpcerCurve, padMetrics, type PadMetrics, type PadOperatingPoint, type ScoredPresentation } from '../../field-tools/pad-metrics.js';
import { rocSvg, svgToPng } from '../../field-tools/plots.js';
import { UsageError, type Command } from './command.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions } from './shared.js';
import { openPhotoPad } from './tool-options.js';

export interface PresentationRow {
  readonly path: string;
  readonly attack: boolean;
  readonly kind: string;
}

/** Parses `path,label[,attack_type]` lines; label is bona_fide or attack. Throws a UsageError naming the line. */
export function parsePresentationList(text: string, baseDir: string): PresentationRow[] {
  const rows: PresentationRow[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || (index === 0 && /^path,label/i.test(line))) return;
    const [path, label, kind, ...rest] = line.split(',').map((f) => f.trim());
    if (!path || !label || rest.length > 0) throw new UsageError(`list line ${index + 1}: expected path,label[,attack_type]`);
    if (label !== 'bona_fide' && label !== 'attack') throw new UsageError(`list line ${index + 1}: label must be bona_fide or attack, got "${label}"`);
    rows.push({ path: isAbsolute(path) ? path : resolve(baseDir, path), attack: label === 'attack', kind: kind ?? (label === 'attack' ? 'attack' : '') });
  });
  return rows;
}

/** Reads and parses a presentation list given on the command line; a missing file is a usage error. */
export function readPresentationList(path: string): PresentationRow[] {
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --list ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parsePresentationList(text, dirname(resolve(path)));
}

const pct = (r: number): string => `${(r * 100).toFixed(2)}%`;

function describePoint(name: string, p: PadOperatingPoint): string[] {
  const t = Number.isFinite(p.threshold) ? p.threshold.toFixed(4) : 'none';
  return [
    `${name}: threshold ${t}  BPCER ${pct(p.bpcer)}  APCER max ${pct(p.apcerMax)}`,
    `  APCER by attack type: ${Object.entries(p.apcerByType).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`,
    ...(Object.keys(p.bpcerByCondition).length ? [`  BPCER by bona fide condition: ${Object.entries(p.bpcerByCondition).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`] : []),
  ];
}

export function formatPadReport(m: PadMetrics, modelId: string): string {
  return [
    `PAD model ${modelId}: ${m.attacks} attack and ${m.bonaFide} bona fide presentations`,
    `failures to acquire (not in APCER/BPCER): ${m.ftaAttacks} attack, ${m.ftaBonaFide} bona fide`,
    ...describePoint('at the configured threshold', m.atThreshold),
    ...describePoint('BPCER10 (max APCER <= 10%)', m.bpcer10),
    ...describePoint('BPCER100 (max APCER <= 1%)', m.bpcer100),
  ].join('\n');
}

export const evalPadCommand: Command = {
  name: 'eval-pad',
  summary: 'ISO/IEC 30107-3 metrics (APCER per type, BPCER, BPCER10/100, FTA) of the PAD model on a labelled list',
  usage: 'maskgate eval-pad --list <csv: path,label[,attack_type]> [--plot <png>] [--json <file>] [--config <file>]',
  async run(args, io) {
    const { values } = parseOptions(args, { ...CONFIG_OPTION, list: { type: 'string' }, plot: { type: 'string' }, json: { type: 'string' } });
    if (!values.list) throw new UsageError('give --list <csv> with lines path,label[,attack_type] (label: bona_fide or attack)');
    const rows = readPresentationList(values.list);
    const loaded = loadConfigAndLogger(values.config, 'warn');
    const { core, pad } = await openPhotoPad(loaded.config, loaded.logger);
    try {
      const scored: (ScoredPresentation & { path: string; error?: string })[] = [];
      for (const [i, row] of rows.entries()) {
        const outcome = await pad.score(row.path);
        scored.push({ path: row.path, attack: row.attack, kind: row.kind, score: outcome.ok ? outcome.score : null, ...(outcome.ok ? {} : { error: outcome.error }) });
        if ((i + 1) % 100 === 0) io.stderr.write(`eval-pad: ${i + 1}/${rows.length}\n`);
      }
      const metrics = padMetrics(scored, loaded.config.pad.threshold);
      io.stdout.write(`${formatPadReport(metrics, pad.modelId)}\n`);
      if (values.json) writeFileSync(resolve(values.json), JSON.stringify({ modelId: pad.modelId, metrics, presentations: scored }, null, 1));
      if (values.plot) {
        const curve = apcerBpcerCurve(scored);
        const svg = rocSvg({
          fmr: curve.apcer,
          tar: curve.bpcer.map((b) => 1 - b),
          impostor: rows.filter((r) => r.attack).length,
          title: `APCER–BPCER, ${pad.modelId}`,
          fmrMarks: [0.1, 0.01],
          labels: { x: 'APCER, max over attack types (log scale)', y: '1 - BPCER', mark: 'APCER' },
        });
        writeFileSync(resolve(values.plot), await svgToPng(svg));
      }
      return 0;
    } finally {
      await core.close();
    }
  },
};
