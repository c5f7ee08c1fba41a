// JSON bodies are decoded strictly as UTF-8: Fastify's own parser would turn invalid bytes into
// U+FFFD and store a name nobody typed. The refusal names the field that held the bad bytes.
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/** Replaces the JSON parser with a strict-UTF-8 one, and drops text/plain (a JSON body sent as text gets 415). */
export function useStrictJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      const field = fieldWithBadBytes(body as Buffer);
      done(new ApiError('text_invalid_encoding', `The body is not valid UTF-8${field ? ` (in ${field})` : ''}`, { field, in: 'body' }), undefined);
      return;
    }
    void parseJson(request, text, done);
  });
}

/** The path (JSON pointer without its leading slash) of the first string that held invalid bytes, when the body is JSON at all. */
function fieldWithBadBytes(body: Buffer): string | null {
  let value: unknown;
  try {
    value = JSON.parse(lenientUtf8.decode(body));
  } catch {
    return null;
  }
  const find = (node: unknown, path: string): string | null => {
    if (typeof node === 'string') return node.includes('\uFFFD') ? path : null;
    if (node === null || typeof node !== 'object') return null;
    for (const [key, child] of Object.entries(node)) {
      if (key.includes('\uFFFD')) return `${path}/${key}`;
      const found = find(child, `${path}/${key}`);
      if (found !== null) return found;
    }
    return null;
  };
  return find(value, '')?.slice(1) ?? null;
}
