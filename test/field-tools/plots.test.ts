import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { rateCurve, rocPoints } from '../../field-tools/metrics.js';
import { rocSvg, scoreHistogramSvg, svgToPng } from '../../field-tools/plots.js';

/** Pixels of `png` close to the colour (r, g, b). */
async function countColour(png: Buffer, [r, g, b]: readonly [number, number, number], tolerance = 40): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < info.width * info.height * 3; i += 3) {
    if (Math.abs(data[i]! - r) + Math.abs(data[i + 1]! - g) + Math.abs(data[i + 2]! - b) <= tolerance) n++;
  }
  return n;
}

const genuine = Array.from({ length: 200 }, (_, k) => 0.25 + 0.2 * Math.sin(k));
const impostor = Array.from({ length: 2000 }, (_, k) => 0.1 * Math.cos(k));
const scores = [...genuine, ...impostor];
const labels = scores.map((_, k) => (k < genuine.length ? 1 : 0));

describe('plots', () => {
  it('draws a ROC curve on a log FMR axis down to the smallest measurable FMR', async () => {
    const curve = rateCurve(scores, labels);
    const svg = rocSvg({ ...rocPoints(curve), impostor: curve.impostor, title: 'model <A&B>', fmrMarks: [0.01, 0.001] });
    expect(svg).toContain('model &lt;A&amp;B&gt;');
    expect(svg).toContain('>1e-4<'); // 2000 impostors: down to the 1e-4 decade
    expect(svg).toContain('FMR 0.001');
    const png = await svgToPng(svg);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 640, 480]);
    expect(await countColour(png, [0x15, 0x65, 0xc0])).toBeGreaterThan(200); // the curve
  });

  it('draws overlaid genuine and impostor histograms with threshold lines and FTA counts', async () => {
    const svg = scoreHistogramSvg({
      genuine: [...genuine, Number.NEGATIVE_INFINITY],
      impostor,
      title: 'scores',
      thresholds: [
        { label: 'FMR100', value: 0.2 },
        { label: 'FMR1000', value: 0.2 },
      ],
      genuineFta: 1,
      width: 800,
      height: 400,
    });
    expect(svg).toContain('genuine (200, +1 FTA)');
    expect(svg).toContain('impostor (2000)');
    expect(svg).toContain('FMR100 / FMR1000'); // coinciding thresholds share one line
    const png = await svgToPng(svg);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([800, 400]);
    // Bars are drawn at 45% opacity over white.
    expect(await countColour(png, [0x9c, 0xc4, 0x9e])).toBeGreaterThan(500);
    expect(await countColour(png, [0xe5, 0x94, 0x94])).toBeGreaterThan(500);
  });

  it('copes with a single score value', () => {
    expect(() => scoreHistogramSvg({ genuine: [0.3], impostor: [0.3], title: 't' })).not.toThrow();
  });
});
