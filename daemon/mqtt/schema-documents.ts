// The JSON Schema files in docs/schemas/, rendered from the TypeBox definitions in messages.ts.
// scripts/write-schemas.mjs writes them; a test fails when the committed files are stale.
import { PAYLOAD_SCHEMAS } from './messages.js';

export interface SchemaDocument {
  readonly file: string;
  /** File content: pretty JSON with a trailing newline. */
  readonly text: string;
}

export const SCHEMA_BASE_URI = 'https://maskgate.invalid/schemas/';

export function schemaDocuments(): SchemaDocument[] {
  return PAYLOAD_SCHEMAS.map(({ file, topic, schema }) => {
    const document = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: `${SCHEMA_BASE_URI}${file}`,
      description: `Payload of <prefix>/<applianceId>/${topic}`,
      ...schema,
    };
    return { file, text: `${JSON.stringify(document, null, 2)}\n` };
  });
}
