// Verification pair lists: `img1,img2,label` CSV (1 = same person, 0 = different people),
// header optional. Parsing and writing here, plus seeded sampling of pairs from a folder of
// identities for `maskgate pairs`. No file I/O: callers read and write the text.
import { isAbsolute, resolve } from 'node:path';
import { seededRandom } from '../synthetic/seeded-random.js';
import { CodedError } from '../pipeline/coded-error.js';

export interface VerificationPair {
  readonly img1: string;
  readonly img2: string;
  readonly label: 0 | 1;
}

export interface ParsedPair extends VerificationPair {
  /** 1-based line in the CSV text, for messages. */
  readonly line: number;
}

export class PairsError extends CodedError<'pairs_invalid' | 'pairs_empty' | 'pairs_too_few_identities'> {}

/** Splits one CSV record; fields may be double-quoted, with "" for a quote inside. */
function splitCsvLine(line: string, lineNumber: number): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.length === 0 && !wasQuoted) {
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') {
      fields.push(wasQuoted ? field : field.trim());
      field = '';
      wasQuoted = false;
    } else field += c;
  }
  if (quoted) throw new PairsError('pairs_invalid', `line ${lineNumber}: unterminated quoted field`);
  fields.push(wasQuoted ? field : field.trim());
  return fields;
}

/** Parses the pairs CSV; blank lines and lines starting with # are skipped. */
export function parsePairsCsv(text: string): ParsedPair[] {
  const pairs: ParsedPair[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let seenRecord = false;
  for (let k = 0; k < lines.length; k++) {
    const raw = lines[k]!;
    const lineNumber = k + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const fields = splitCsvLine(raw, lineNumber);
    const first = !seenRecord;
    seenRecord = true;
    if (fields.length !== 3) {
      throw new PairsError('pairs_invalid', `line ${lineNumber}: expected 3 fields img1,img2,label, got ${fields.length}`);
    }
    const [img1, img2, label] = fields as [string, string, string];
    if (label !== '0' && label !== '1') {
      // The first record may be a header (any non-numeric label column, e.g. "label").
      if (first && !/^-?[\d.]+$/.test(label)) continue;
      throw new PairsError('pairs_invalid', `line ${lineNumber}: label must be 1 (genuine) or 0 (impostor), got "${label}"`);
    }
    if (img1 === '' || img2 === '') throw new PairsError('pairs_invalid', `line ${lineNumber}: empty image path`);
    pairs.push({ img1, img2, label: label === '1' ? 1 : 0, line: lineNumber });
  }
  if (pairs.length === 0) throw new PairsError('pairs_empty', 'the pairs file has no pairs');
  return pairs;
}

/** Relative image paths resolved against `root`. */
export function resolvePairs<T extends VerificationPair>(pairs: readonly T[], root: string): T[] {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(root, p));
  return pairs.map((p) => ({ ...p, img1: abs(p.img1), img2: abs(p.img2) }));
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

export function formatPairsCsv(pairs: readonly VerificationPair[]): string {
  return ['img1,img2,label', ...pairs.map((p) => `${csvField(p.img1)},${csvField(p.img2)},${p.label}`)].join('\n') + '\n';
}

export interface Identity {
  readonly name: string;
  /** Image paths (as they should appear in the CSV), at least one. */
  readonly images: readonly string[];
}

export interface SampleOptions {
  readonly genuine: number;
  readonly impostor: number;
  readonly seed: number;
}

/**
 * Genuine pairs: an identity with two or more images drawn uniformly, then two of its images;
 * impostor pairs: two different identities drawn uniformly, one image of each. Drawing the
 * identity first keeps prolific people from dominating. No pair appears twice (in either
 * order); when fewer distinct pairs exist than asked for, all of them are returned.
 */
export function samplePairs(identities: readonly Identity[], opts: SampleOptions): VerificationPair[] {
  const people = identities.filter((i) => i.images.length > 0);
  if (people.length < 2 && opts.impostor > 0) {
    throw new PairsError('pairs_too_few_identities', 'impostor pairs need at least two identities with images');
  }
  const multi = people.filter((i) => i.images.length >= 2);
  if (multi.length === 0 && opts.genuine > 0) {
    throw new PairsError('pairs_too_few_identities', 'genuine pairs need an identity with at least two images');
  }
  const random = seededRandom(opts.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const seen = new Set<string>();
  const out: VerificationPair[] = [];
  const draw = (count: number, label: 0 | 1, next: () => [string, string]): void => {
    // Give up after many repeats: the population of distinct pairs is exhausted.
    for (let made = 0, misses = 0; made < count && misses < 1000 + 20 * count; ) {
      const [a, b] = next();
      const key = a < b ? `${a}\0${b}` : `${b}\0${a}`;
      if (a === b || seen.has(key)) {
        misses++;
        continue;
      }
      seen.add(key);
      out.push({ img1: a, img2: b, label });
      made++;
    }
  };
  if (opts.genuine > 0) {
    draw(opts.genuine, 1, () => {
      const who = pick(multi);
      const i = Math.floor(random() * who.images.length);
      const j = (i + 1 + Math.floor(random() * (who.images.length - 1))) % who.images.length;
      return [who.images[i]!, who.images[j]!];
    });
  }
  if (opts.impostor > 0) {
    draw(opts.impostor, 0, () => {
      const i = Math.floor(random() * people.length);
      const j = (i + 1 + Math.floor(random() * (people.length - 1))) % people.length;
      return [pick(people[i]!.images), pick(people[j]!.images)];
    });
  }
  return out;
}
