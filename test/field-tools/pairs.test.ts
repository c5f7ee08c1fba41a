import { describe, expect, it } from 'vitest';
import { formatPairsCsv, PairsError, parsePairsCsv, resolvePairs, samplePairs, type Identity } from '../../field-tools/pairs.js';

function errorOf(f: () => unknown): PairsError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(PairsError);
    return err as PairsError;
  }
  throw new Error('expected a PairsError');
}

describe('parsePairsCsv', () => {
  it('reads pairs with or without a header, skipping blank and comment lines', () => {
    const withHeader = parsePairsCsv('img1,img2,label\r\na.jpg,b.jpg,1\r\n\r\n# impostors\r\na.jpg,c.jpg,0\r\n');
    expect(withHeader).toEqual([
      { img1: 'a.jpg', img2: 'b.jpg', label: 1, line: 2 },
      { img1: 'a.jpg', img2: 'c.jpg', label: 0, line: 5 },
    ]);
    expect(parsePairsCsv('a.jpg, b.jpg ,1')).toEqual([{ img1: 'a.jpg', img2: 'b.jpg', label: 1, line: 1 }]);
  });

  it('reads quoted fields with commas and quotes', () => {
    expect(parsePairsCsv('"Smith, J/1.jpg","say ""hi"".jpg",0\n')).toEqual([
      { img1: 'Smith, J/1.jpg', img2: 'say "hi".jpg', label: 0, line: 1 },
    ]);
  });

  it('names the line of a bad record', () => {
    expect(errorOf(() => parsePairsCsv('a,b,1\na,b\n')).message).toMatch(/line 2: expected 3 fields/);
    const bad = errorOf(() => parsePairsCsv('img1,img2,label\na,b,2\n'));
    expect(bad.code).toBe('pairs_invalid');
    expect(bad.message).toMatch(/line 2: label must be 1 \(genuine\) or 0 \(impostor\), got "2"/);
    // A non-numeric label is a header only on the first record.
    expect(errorOf(() => parsePairsCsv('a,b,1\nc,d,yes\n')).message).toMatch(/line 2/);
    expect(errorOf(() => parsePairsCsv('a,,1\n')).message).toMatch(/empty image path/);
    expect(errorOf(() => parsePairsCsv('"a,b,1\n')).message).toMatch(/unterminated/);
  });

  it('refuses a file without pairs', () => {
    expect(errorOf(() => parsePairsCsv('img1,img2,label\n\n')).code).toBe('pairs_empty');
  });

  it('round-trips through formatPairsCsv', () => {
    const pairs = [
      { img1: 'x/Smith, J.jpg', img2: 'y/" odd.jpg', label: 1 as const },
      { img1: 'plain.jpg', img2: ' lead.jpg', label: 0 as const },
    ];
    expect(parsePairsCsv(formatPairsCsv(pairs)).map(({ line: _line, ...p }) => p)).toEqual(pairs);
  });
});

describe('resolvePairs', () => {
  it('resolves relative paths against the root and keeps absolute ones', () => {
    expect(resolvePairs([{ img1: 'a/1.jpg', img2: '/abs/2.jpg', label: 1 }], '/data')).toEqual([
      { img1: '/data/a/1.jpg', img2: '/abs/2.jpg', label: 1 },
    ]);
  });
});

describe('samplePairs', () => {
  const identities: Identity[] = Array.from({ length: 30 }, (_, k) => ({
    name: `p${k}`,
    images: Array.from({ length: 1 + (k % 4) }, (_, j) => `p${k}/${j}.jpg`),
  }));
  const personOf = (path: string): string => path.split('/')[0]!;

  it('is reproducible from its seed and differs between seeds', () => {
    const a = samplePairs(identities, { genuine: 20, impostor: 20, seed: 7 });
    expect(samplePairs(identities, { genuine: 20, impostor: 20, seed: 7 })).toEqual(a);
    expect(samplePairs(identities, { genuine: 20, impostor: 20, seed: 8 })).not.toEqual(a);
  });

  it('labels same-person pairs 1 and different-person pairs 0, without repeats', () => {
    const pairs = samplePairs(identities, { genuine: 25, impostor: 40, seed: 1 });
    expect(pairs.filter((p) => p.label === 1)).toHaveLength(25);
    expect(pairs.filter((p) => p.label === 0)).toHaveLength(40);
    for (const p of pairs) {
      expect(p.img1).not.toBe(p.img2);
      expect(personOf(p.img1) === personOf(p.img2)).toBe(p.label === 1);
    }
    const keys = pairs.map((p) => [p.img1, p.img2].sort().join('|'));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('returns every distinct pair when fewer exist than asked for', () => {
    const small: Identity[] = [
      { name: 'a', images: ['a/1.jpg', 'a/2.jpg'] },
      { name: 'b', images: ['b/1.jpg'] },
    ];
    const pairs = samplePairs(small, { genuine: 10, impostor: 10, seed: 3 });
    expect(pairs.filter((p) => p.label === 1)).toHaveLength(1);
    expect(pairs.filter((p) => p.label === 0)).toHaveLength(2);
  });

  it('needs two identities for impostors and a repeated one for genuine pairs', () => {
    expect(errorOf(() => samplePairs([{ name: 'a', images: ['a/1.jpg', 'a/2.jpg'] }], { genuine: 1, impostor: 1, seed: 1 })).code).toBe(
      'pairs_too_few_identities',
    );
    const singles: Identity[] = [
      { name: 'a', images: ['a/1.jpg'] },
      { name: 'b', images: ['b/1.jpg'] },
    ];
    expect(errorOf(() => samplePairs(singles, { genuine: 1, impostor: 0, seed: 1 })).code).toBe('pairs_too_few_identities');
  });
});
