// Request validation with Ajv, strict for JSON bodies and coercing only where HTTP has no types:
// query strings and path parameters arrive as text ("?limit=20"), bodies arrive as JSON, where
// coercion would quietly turn "" into null or "1" into true instead of refusing them.
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

function ajv(options: Options): Ajv {
  const instance = new Ajv({ removeAdditional: false, useDefaults: true, allErrors: false, strict: false, ...options });
  addFormats.default(instance);
  return instance;
}

/** A validator compiler for Fastify: one Ajv per HTTP part, created once per API instance. */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = ajv({ coerceTypes: false });
  const coercing = ajv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) => {
    const compiler = httpPart === 'querystring' || httpPart === 'params' || httpPart === 'headers' ? coercing : strict;
    return compiler.compile(schema as object);
  };
}
