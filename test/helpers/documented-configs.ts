// The config examples the README and docs show, so tests can run exactly what a reader copies.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigSchema } from '../../firmware-config/schema.js';

const REPO = resolve(__dirname, '../..');
const CONFIG_KEYS = new Set(Object.keys(ConfigSchema.properties));

/** Config examples in the docs: JSON code blocks (and install.md's heredoc) made only of config keys. */
export function documentedConfigs(): Array<{ where: string; raw: Record<string, unknown> }> {
  const files = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  return files.flatMap((file) => {
    const text = readFileSync(join(REPO, file), 'utf8');
    const blocks = [...text.matchAll(/```json\n([\s\S]*?)```/g), ...text.matchAll(/<<'EOF'\n([\s\S]*?)\nEOF/g)].map((m) => m[1]!);
    return blocks.flatMap((block, i) => {
      let raw: unknown;
      try {
        raw = JSON.parse(block);
      } catch {
        return [];
      }
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
      const keys = Object.keys(raw);
      return keys.length > 0 && keys.every((k) => CONFIG_KEYS.has(k)) ? [{ where: `${file} example ${i + 1}`, raw: raw as Record<string, unknown> }] : [];
    });
  });
}
