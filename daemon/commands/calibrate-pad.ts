// `maskgate calibrate --pad`: sets pad.threshold from measured PAD scores of a labelled list of
// presentations (path,label[,attack_type], as eval-pad reads), for a target APCER (every attack
// type at or below it) or a target BPCER, with the same arithmetic and 95% Clopper–Pearson bound
// as the FMR calibration (field-tools/calibration.ts). The config file is updated atomically.
import { calibrateThreshold, type CalibrationMethod } from '../../field-tools/calibration.js';
import { operatingPoint, type ScoredPresentation } from '../../field-tools/pad-metrics.js';
import { updateConfigFile } from '../../firmware-config/load.js';
import type { PadCalibrationRecord } from '../../firmware-config/schema.js';
import { UsageError, type CommandIo } from './command.js';
import { readPresentationList } from './eval-pad.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions } from './shared.js';
import { openPhotoPad, rateOption } from './tool-options.js';

export interface PadThreshold {
  readonly threshold: number;
  /** 95% upper bound of the targeted rate at the threshold (for APCER: the worst attack type). */
  readonly upperBound95: number;
}

/**
 * The threshold for a target rate. BPCER: bona fide scores play the impostors (a bona fide
 * presentation at or above the threshold is an error). APCER: each type's attack scores, negated,
 * play the impostors (an attack below the threshold is an error); the lowest threshold wins.
 */
export function padThreshold(rows: readonly ScoredPresentation[], target: 'apcer' | 'bpcer', rate: number, method: CalibrationMethod): PadThreshold {
  const scored = rows.filter((r): r is ScoredPresentation & { score: number } => r.score !== null);
  if (target === 'bpcer') {
    const r = calibrateThreshold({ impostorScores: scored.filter((p) => !p.attack).map((p) => p.score), targetFmr: rate, method });
    return { threshold: Math.min(1, Math.max(0, r.threshold)), upperBound95: r.fmrUpperBound95 };
  }
  const kinds = [...new Set(scored.filter((p) => p.attack).map((p) => p.kind))];
  if (kinds.length === 0) throw new UsageError('the list has no scored attack presentation');
  let threshold = 1;
  let upperBound95 = 0;
  for (const kind of kinds) {
    const r = calibrateThreshold({ impostorScores: scored.filter((p) => p.attack && p.kind === kind).map((p) => -p.score), targetFmr: rate, method });
    threshold = Math.min(threshold, -r.threshold);
    upperBound95 = Math.max(upperBound95, r.fmrUpperBound95);
  }
  return { threshold: Math.max(0, threshold), upperBound95 };
}

export async function calibratePad(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseOptions(args, {
    ...CONFIG_OPTION,
    pad: { type: 'boolean' },
    list: { type: 'string' },
    'target-apcer': { type: 'string' },
    'target-bpcer': { type: 'string' },
    conservative: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (!values.list) throw new UsageError('calibrate --pad needs --list <csv: path,label[,attack_type]>');
  if ((values['target-apcer'] === undefined) === (values['target-bpcer'] === undefined)) {
    throw new UsageError('give exactly one of --target-apcer or --target-bpcer');
  }
  const target = values['target-apcer'] !== undefined ? 'apcer' : 'bpcer';
  const rate = rateOption(`target-${target}`, (values['target-apcer'] ?? values['target-bpcer'])!, 0.5);
  const method: CalibrationMethod = values.conservative ? 'upper-bound-95' : 'empirical';
  const dryRun = values['dry-run'] ?? false;
  const rows = readPresentationList(values.list);
  const loaded = loadConfigAndLogger(values.config, 'warn');
  if (!loaded.path && !dryRun) throw new UsageError('calibrate --pad writes pad.threshold into the config file: give --config <file> (or --dry-run)');
  const { core, pad } = await openPhotoPad(loaded.config, loaded.logger);
  try {
    const scored: ScoredPresentation[] = [];
    for (const row of rows) {
      const outcome = await pad.score(row.path);
      scored.push({ attack: row.attack, kind: row.kind, score: outcome.ok ? outcome.score : null });
    }
    const { threshold, upperBound95 } = padThreshold(scored, target, rate, method);
    const at = operatingPoint(scored, threshold);
    const record: PadCalibrationRecord = {
      method,
      target,
      targetRate: rate,
      upperBound95,
      expectedApcer: at.apcerMax,
      expectedBpcer: at.bpcer,
      attackPresentations: scored.filter((r) => r.attack && r.score !== null).length,
      bonaFidePresentations: scored.filter((r) => !r.attack && r.score !== null).length,
      modelId: pad.modelId,
      calibratedAt: new Date().toISOString(),
    };
    if (!dryRun && loaded.path) {
      updateConfigFile(loaded.path, (raw) => {
        const section = (raw['pad'] ?? {}) as Record<string, unknown>;
        raw['pad'] = { ...section, threshold, calibration: record };
      });
    }
    const report = { threshold, previousThreshold: loaded.config.pad.threshold, written: !dryRun, record, atThreshold: at };
    io.stdout.write(
      values.json
        ? `${JSON.stringify(report, null, 2)}\n`
        : [
            `PAD threshold ${threshold.toFixed(6)} for ${target.toUpperCase()} <= ${rate} (${method}; 95% upper bound ${upperBound95.toPrecision(3)})`,
            `at it: APCER max ${(at.apcerMax * 100).toFixed(2)}%, BPCER ${(at.bpcer * 100).toFixed(2)}% (${record.attackPresentations} attack, ${record.bonaFidePresentations} bona fide presentations)`,
            dryRun ? 'dry run: config not changed' : `written to ${loaded.path}`,
            '',
          ].join('\n'),
    );
    return 0;
  } finally {
    await core.close();
  }
}
