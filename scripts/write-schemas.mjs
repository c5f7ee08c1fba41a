#!/usr/bin/env node
// Writes docs/schemas/*.json from the TypeBox payload definitions (daemon/mqtt/messages.ts and access/decision-message.ts), using
// the built dist/ — run `npm run build` first. test/daemon/mqtt/schemas.test.ts fails when the
// committed files differ from what this writes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { schemaDocuments } = await import(join(root, 'dist/daemon/mqtt/schema-documents.js'));
const out = join(root, 'docs/schemas');
mkdirSync(out, { recursive: true });
for (const { file, text } of schemaDocuments()) {
  writeFileSync(join(out, file), text);
  console.log(`docs/schemas/${file}`);
}
