// docs/schemas/ must be what the TypeBox definitions say today: regenerate with
// `npm run build && node scripts/write-schemas.mjs` when this fails.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { schemaDocuments } from '../../../daemon/mqtt/schema-documents.js';

const DIR = resolve(__dirname, '../../../docs/schemas');

describe('published JSON Schemas (docs/schemas)', () => {
  const documents = schemaDocuments();

  it.each(documents.map((d) => [d.file, d] as const))('%s is up to date', (_file, document) => {
    expect(readFileSync(join(DIR, document.file), 'utf8')).toBe(document.text);
  });

  it('has no file that no payload uses any more', () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()).toEqual(documents.map((d) => d.file).sort());
  });

  it('are valid draft-07 schemas that a door developer can compile', () => {
    const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true, keywords: [] });
    addFormats.default(ajv);
    for (const document of documents) expect(() => ajv.compile(JSON.parse(document.text) as object), document.file).not.toThrow();
  });
});
