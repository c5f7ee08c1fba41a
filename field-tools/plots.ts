// Evaluation plots as plain SVG (a ROC curve on a log FMR axis, genuine/impostor score
// histograms), rasterised to PNG with sharp, which the appliance already ships: no plotting
// dependency. Pure functions from numbers to SVG text, plus one PNG conversion.
import sharp from 'sharp';

export interface PlotSize {
  readonly width?: number;
  readonly height?: number;
}

export interface RocPlotInput extends PlotSize {
  /** FMR and TAR (= 1 - FNMR) per threshold, as from metrics.rocPoints. */
  readonly fmr: ArrayLike<number>;
  readonly tar: ArrayLike<number>;
  /** Number of impostor comparisons: 1/impostor is the smallest FMR the data can show. */
  readonly impostor: number;
  readonly title: string;
  /** Vertical guide lines, e.g. FMR 1e-2 and 1e-3. */
  readonly fmrMarks?: readonly number[];
  /** Axis and mark names for other rate pairs of the same shape (PAD: APCER and 1 - BPCER). */
  readonly labels?: { readonly x: string; readonly y: string; readonly mark: string };
}

export interface HistogramPlotInput extends PlotSize {
  readonly genuine: readonly number[];
  readonly impostor: readonly number[];
  readonly title: string;
  readonly bins?: number;
  /** Labelled vertical lines, e.g. the FMR100 and FMR1000 thresholds. */
  readonly thresholds?: readonly { readonly label: string; readonly value: number }[];
  /** Pairs that failed to acquire (no score), stated in the legend rather than drawn. */
  readonly genuineFta?: number;
  readonly impostorFta?: number;
}

const MARGIN = { left: 70, right: 20, top: 40, bottom: 55 } as const;
const GENUINE_COLOUR = '#2e7d32';
const IMPOSTOR_COLOUR = '#c62828';
const CURVE_COLOUR = '#1565c0';

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

const n2 = (v: number): string => (Math.round(v * 100) / 100).toString();

function frame(width: number, height: number, title: string, body: string, xLabel: string, yLabel: string): string {
  const plotBottom = height - MARGIN.bottom;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${width - MARGIN.left - MARGIN.right}" height="${plotBottom - MARGIN.top}" fill="none" stroke="#000000"/>`,
    body,
    `<text x="${(MARGIN.left + width - MARGIN.right) / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="16" y="${(MARGIN.top + plotBottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(MARGIN.top + plotBottom) / 2})">${escapeXml(yLabel)}</text>`,
    '</svg>',
  ].join('\n');
}

/** Image size and the plot rectangle inside the margins (y0 is the bottom edge, y1 the top). */
function plotArea(size: PlotSize): { width: number; height: number; x0: number; x1: number; y0: number; y1: number } {
  const width = size.width ?? 640;
  const height = size.height ?? 480;
  return { width, height, x0: MARGIN.left, x1: width - MARGIN.right, y0: height - MARGIN.bottom, y1: MARGIN.top };
}

/** ROC: TAR against FMR on a log axis from the smallest measurable FMR decade up to 1. */
export function rocSvg(input: RocPlotInput): string {
  const { width, height, x0, x1, y0, y1 } = plotArea(input);
  const minDecade = Math.min(-1, Math.floor(Math.log10(1 / Math.max(1, input.impostor))));
  const xOf = (fmr: number): number => {
    const d = Math.max(minDecade, Math.log10(Math.max(fmr, 10 ** minDecade)));
    return x0 + ((d - minDecade) / -minDecade) * (x1 - x0);
  };
  const yOf = (tar: number): number => y0 - tar * (y0 - y1);
  const parts: string[] = [];
  for (let d = minDecade; d <= 0; d++) {
    const x = xOf(10 ** d);
    parts.push(`<line x1="${n2(x)}" y1="${y1}" x2="${n2(x)}" y2="${y0}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${n2(x)}" y="${y0 + 18}" text-anchor="middle">1e${d}</text>`);
  }
  for (let k = 0; k <= 10; k += 2) {
    const y = yOf(k / 10);
    parts.push(`<line x1="${x0}" y1="${n2(y)}" x2="${x1}" y2="${n2(y)}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${x0 - 8}" y="${n2(y + 4)}" text-anchor="end">${(k / 10).toFixed(1)}</text>`);
  }
  for (const mark of input.fmrMarks ?? []) {
    if (!(mark >= 10 ** minDecade && mark <= 1)) continue;
    const x = xOf(mark);
    parts.push(`<line x1="${n2(x)}" y1="${y1}" x2="${n2(x)}" y2="${y0}" stroke="#9e9e9e" stroke-dasharray="5,4"/>`);
    parts.push(`<text x="${n2(x + 4)}" y="${y1 + 14}" fill="#616161">${escapeXml(input.labels?.mark ?? 'FMR')} ${mark}</text>`);
  }
  // A step curve: between thresholds the operating point moves horizontally, then vertically.
  const points: string[] = [];
  for (let k = 0; k < input.fmr.length; k++) {
    const x = xOf(input.fmr[k]!);
    const y = yOf(input.tar[k]!);
    if (k > 0) points.push(`${n2(x)},${n2(yOf(input.tar[k - 1]!))}`);
    points.push(`${n2(x)},${n2(y)}`);
  }
  parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${CURVE_COLOUR}" stroke-width="2"/>`);
  const labels = input.labels ?? { x: 'False match rate (log scale)', y: 'True accept rate (1 - FNMR)' };
  return frame(width, height, input.title, parts.join('\n'), labels.x, labels.y);
}

/** Overlaid genuine and impostor score histograms, each normalised to its own count. */
export function scoreHistogramSvg(input: HistogramPlotInput): string {
  const { width, height, x0, x1, y0, y1 } = plotArea(input);
  const bins = input.bins ?? 50;
  const genuine = input.genuine.filter(Number.isFinite);
  const impostor = input.impostor.filter(Number.isFinite);
  // A loop, not Math.min(...values): score lists can outgrow the argument limit.
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of genuine.concat(impostor)) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) [lo, hi] = [-1, 1];
  if (hi - lo < 1e-6) {
    lo -= 0.05;
    hi += 0.05;
  }
  const binWidth = (hi - lo) / bins;
  const histogram = (values: readonly number[]): number[] => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / binWidth))]!++;
    return counts.map((c) => (values.length ? c / values.length : 0));
  };
  const g = histogram(genuine);
  const i = histogram(impostor);
  const top = Math.max(0.01, ...g, ...i);
  const xOf = (score: number): number => x0 + ((score - lo) / (hi - lo)) * (x1 - x0);
  const yOf = (fraction: number): number => y0 - (fraction / top) * (y0 - y1);
  const parts: string[] = [];
  for (let k = 0; k <= 5; k++) {
    const score = lo + ((hi - lo) * k) / 5;
    parts.push(`<text x="${n2(xOf(score))}" y="${y0 + 18}" text-anchor="middle">${score.toFixed(2)}</text>`);
    const fraction = (top * k) / 5;
    parts.push(`<line x1="${x0}" y1="${n2(yOf(fraction))}" x2="${x1}" y2="${n2(yOf(fraction))}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${x0 - 8}" y="${n2(yOf(fraction) + 4)}" text-anchor="end">${fraction.toFixed(2)}</text>`);
  }
  const bars = (fractions: readonly number[], colour: string): void => {
    fractions.forEach((f, k) => {
      if (f === 0) return;
      const x = xOf(lo + k * binWidth);
      parts.push(
        `<rect x="${n2(x)}" y="${n2(yOf(f))}" width="${n2(Math.max(1, xOf(lo + (k + 1) * binWidth) - x))}" height="${n2(y0 - yOf(f))}" fill="${colour}" fill-opacity="0.45"/>`,
      );
    });
  };
  bars(i, IMPOSTOR_COLOUR);
  bars(g, GENUINE_COLOUR);
  // Thresholds that coincide share one line: "FMR100 / FMR1000".
  const lines = new Map<number, string[]>();
  for (const t of input.thresholds ?? []) lines.set(t.value, [...(lines.get(t.value) ?? []), t.label]);
  // Labels sit low in the plot, clear of the legend, one row each so that neighbours do not overlap.
  const drawn = [...lines].map(([value, labels]) => ({ value, label: labels.join(' / ') })).filter((t) => t.value >= lo && t.value <= hi);
  drawn.forEach((t, k) => {
    const x = xOf(t.value);
    parts.push(`<line x1="${n2(x)}" y1="${y1}" x2="${n2(x)}" y2="${y0}" stroke="#424242" stroke-dasharray="5,4"/>`);
    parts.push(`<text x="${n2(x + 4)}" y="${y0 - 8 - 16 * (drawn.length - 1 - k)}" fill="#424242">${escapeXml(t.label)}</text>`);
  });
  const legend = [
    { colour: GENUINE_COLOUR, text: `genuine (${genuine.length}${input.genuineFta ? `, +${input.genuineFta} FTA` : ''})` },
    { colour: IMPOSTOR_COLOUR, text: `impostor (${impostor.length}${input.impostorFta ? `, +${input.impostorFta} FTA` : ''})` },
  ];
  legend.forEach((entry, k) => {
    const y = y1 + 12 + k * 18;
    parts.push(`<rect x="${x1 - 190}" y="${y - 10}" width="12" height="12" fill="${entry.colour}" fill-opacity="0.6"/>`);
    parts.push(`<text x="${x1 - 172}" y="${y}">${escapeXml(entry.text)}</text>`);
  });
  return frame(width, height, input.title, parts.join('\n'), 'Score (cosine similarity)', 'Fraction of comparisons per bin');
}

export interface ErrorRejectPlotInput extends PlotSize {
  /** One line per quality measure: FNMR against the share of genuine comparisons set aside. */
  readonly curves: readonly { readonly label: string; readonly points: readonly { readonly rejected: number; readonly fnmr: number }[] }[];
  readonly title: string;
  /** The fixed threshold the FNMR is computed at, for the axis label. */
  readonly threshold: number;
}

const SERIES_COLOURS = ['#1565c0', '#c62828', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f'] as const;

/**
 * Error versus reject (ISO/IEC 29794-1): a measure that predicts recognition pulls FNMR down
 * as its worst faces are set aside; a flat line means the measure does not earn a threshold.
 */
export function errorRejectSvg(input: ErrorRejectPlotInput): string {
  const { width, height, x0, x1, y0, y1 } = plotArea(input);
  let xMax = 0.01;
  let yMax = 0.01;
  for (const c of input.curves) {
    for (const p of c.points) {
      xMax = Math.max(xMax, p.rejected);
      yMax = Math.max(yMax, p.fnmr);
    }
  }
  yMax = Math.min(1, yMax * 1.1);
  const xOf = (v: number): number => x0 + (v / xMax) * (x1 - x0);
  const yOf = (v: number): number => y0 - (v / yMax) * (y0 - y1);
  const parts: string[] = [];
  for (let k = 0; k <= 5; k++) {
    const xv = (xMax * k) / 5;
    const yv = (yMax * k) / 5;
    parts.push(`<text x="${n2(xOf(xv))}" y="${y0 + 18}" text-anchor="middle">${(100 * xv).toFixed(0)}%</text>`);
    parts.push(`<line x1="${x0}" y1="${n2(yOf(yv))}" x2="${x1}" y2="${n2(yOf(yv))}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${x0 - 8}" y="${n2(yOf(yv) + 4)}" text-anchor="end">${yv.toFixed(3)}</text>`);
  }
  input.curves.forEach((c, k) => {
    const colour = SERIES_COLOURS[k % SERIES_COLOURS.length]!;
    const points = c.points.map((p) => `${n2(xOf(p.rejected))},${n2(yOf(p.fnmr))}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const y = y1 + 12 + k * 18;
    parts.push(`<rect x="${x1 - 150}" y="${y - 10}" width="12" height="12" fill="${colour}"/>`);
    parts.push(`<text x="${x1 - 132}" y="${y}">${escapeXml(c.label)}</text>`);
  });
  return frame(
    width,
    height,
    input.title,
    parts.join('\n'),
    'Genuine comparisons set aside, worst quality first',
    `FNMR at threshold ${input.threshold.toFixed(3)}`,
  );
}

/** Rasterises an SVG document to PNG bytes. */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}
