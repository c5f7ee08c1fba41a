// ISO/IEC 30107-3 metrics of a presentation-attack detector from scored presentations: pure
// arithmetic, no I/O. Convention: a presentation is classified as an attack when its score is at
// or above the threshold. APCER is computed per attack type (PAI species) and reported as the
// maximum over types; BPCER over bona fide presentations, also split by condition (masked or
// unmasked). Presentations that failed to acquire (no face, unreadable) carry no score: they are
// counted separately and enter neither APCER nor BPCER (30107-3 reports them apart).

export interface ScoredPresentation {
  /** Attack score, null when the presentation failed to acquire. */
  readonly score: number | null;
  readonly attack: boolean;
  /** Attack type for attacks; the condition (e.g. masked, unmasked) for bona fide, or ''. */
  readonly kind: string;
}

export interface PadOperatingPoint {
  readonly threshold: number;
  readonly apcerByType: Readonly<Record<string, number>>;
  readonly apcerMax: number;
  readonly bpcer: number;
  readonly bpcerByCondition: Readonly<Record<string, number>>;
}

export interface PadMetrics {
  readonly attacks: number;
  readonly bonaFide: number;
  readonly ftaAttacks: number;
  readonly ftaBonaFide: number;
  /** At the threshold given (the one in force). */
  readonly atThreshold: PadOperatingPoint;
  /** BPCER at max-APCER 10% and 1% (the thresholds that meet those for every attack type). */
  readonly bpcer10: PadOperatingPoint;
  readonly bpcer100: PadOperatingPoint;
}

export class PadMetricsError extends Error {
  override readonly name = 'PadMetricsError';
  constructor(
    readonly code: 'no_attacks' | 'no_bona_fide',
    message: string,
  ) {
    super(message);
  }
}

const rate = (k: number, n: number): number => (n === 0 ? 0 : k / n);

function groupScores(rows: readonly ScoredPresentation[], attack: boolean): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of rows) {
    if (r.attack !== attack || r.score === null) continue;
    const list = out.get(r.kind) ?? [];
    list.push(r.score);
    out.set(r.kind, list);
  }
  return out;
}

export function operatingPoint(rows: readonly ScoredPresentation[], threshold: number): PadOperatingPoint {
  const attacks = groupScores(rows, true);
  const bona = groupScores(rows, false);
  const apcerByType: Record<string, number> = {};
  for (const [kind, scores] of attacks) apcerByType[kind] = rate(scores.filter((s) => s < threshold).length, scores.length);
  const bpcerByCondition: Record<string, number> = {};
  for (const [kind, scores] of bona) if (kind !== '') bpcerByCondition[kind] = rate(scores.filter((s) => s >= threshold).length, scores.length);
  const allBona = [...bona.values()].flat();
  return {
    threshold,
    apcerByType,
    apcerMax: Math.max(0, ...Object.values(apcerByType)),
    bpcer: rate(allBona.filter((s) => s >= threshold).length, allBona.length),
    bpcerByCondition,
  };
}

/**
 * The highest threshold at which every attack type's APCER is at most `targetApcer`: per type,
 * with its scores ascending, at most floor(target * n) of them may fall below the threshold.
 */
export function thresholdForApcer(rows: readonly ScoredPresentation[], targetApcer: number): number {
  let threshold = Number.POSITIVE_INFINITY;
  for (const scores of groupScores(rows, true).values()) {
    const sorted = [...scores].sort((a, b) => a - b);
    const allowed = Math.floor(targetApcer * sorted.length + 1e-9);
    threshold = Math.min(threshold, allowed >= sorted.length ? Number.POSITIVE_INFINITY : sorted[allowed]!);
  }
  return threshold;
}

export function padMetrics(rows: readonly ScoredPresentation[], threshold: number): PadMetrics {
  const attacks = rows.filter((r) => r.attack);
  const bona = rows.filter((r) => !r.attack);
  if (!attacks.some((r) => r.score !== null)) throw new PadMetricsError('no_attacks', 'no scored attack presentation: APCER is undefined');
  if (!bona.some((r) => r.score !== null)) throw new PadMetricsError('no_bona_fide', 'no scored bona fide presentation: BPCER is undefined');
  return {
    attacks: attacks.length,
    bonaFide: bona.length,
    ftaAttacks: attacks.filter((r) => r.score === null).length,
    ftaBonaFide: bona.filter((r) => r.score === null).length,
    atThreshold: operatingPoint(rows, threshold),
    bpcer10: operatingPoint(rows, thresholdForApcer(rows, 0.1)),
    bpcer100: operatingPoint(rows, thresholdForApcer(rows, 0.01)),
  };
}

/** Max-APCER and BPCER at every distinct score: the APCER–BPCER (DET-style) curve. */
export function apcerBpcerCurve(rows: readonly ScoredPresentation[]): { apcer: number[]; bpcer: number[] } {
  const thresholds = [...new Set(rows.flatMap((r) => (r.score === null ? [] : [r.score])))].sort((a, b) => a - b);
  const points = [...thresholds, Number.POSITIVE_INFINITY].map((t) => operatingPoint(rows, t));
  return { apcer: points.map((p) => p.apcerMax), bpcer: points.map((p) => p.bpcer) };
}
