import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairsCommand, readIdentities } from '../../../daemon/commands/make-pairs.js';
import { parsePairsCsv } from '../../../field-tools/pairs.js';
import { runWithIo } from '../../helpers/command-io.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mg-pairs-'));
  for (const [person, n] of [['Ann', 3], ['Bob', 1], ['Cy', 2], ['Empty', 0]] as const) {
    mkdirSync(join(root, person));
    for (let k = 1; k <= n; k++) writeFileSync(join(root, person, `${person}_${k}.jpg`), 'x');
  }
  writeFileSync(join(root, 'Ann', 'notes.txt'), 'not an image');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = (args: string[]) => runWithIo((io) => pairsCommand.run(args, io));

describe('maskgate pairs', () => {
  it('reads one identity per sub-folder with its images, relative to the root', () => {
    expect(readIdentities(root)).toEqual([
      { name: 'Ann', images: ['Ann/Ann_1.jpg', 'Ann/Ann_2.jpg', 'Ann/Ann_3.jpg'] },
      { name: 'Bob', images: ['Bob/Bob_1.jpg'] },
      { name: 'Cy', images: ['Cy/Cy_1.jpg', 'Cy/Cy_2.jpg'] },
    ]);
  });

  it('writes a reproducible pairs CSV and says when fewer pairs exist than asked for', async () => {
    const out = join(root, 'pairs.csv');
    const a = await run(['--root', root, '--out', out, '--genuine', '10', '--impostor', '5', '--seed', '4']);
    expect(a.code).toBe(0);
    const pairs = parsePairsCsv(readFileSync(out, 'utf8'));
    expect(pairs.filter((p) => p.label === 1)).toHaveLength(4); // Ann: 3 pairs, Cy: 1
    expect(pairs.filter((p) => p.label === 0)).toHaveLength(5);
    expect(a.stderr).toMatch(/fewer distinct pairs exist than asked for \(4\/10 genuine, 5\/5 impostor\)/);
    const b = await run(['--root', root, '--genuine', '10', '--impostor', '5', '--seed', '4']);
    expect(b.stdout).toBe(readFileSync(out, 'utf8'));
  });

  it('reports a missing root with a code', async () => {
    await expect(run(['--root', join(root, 'nope')])).rejects.toMatchObject({ code: 'root_unreadable' });
  });
});
