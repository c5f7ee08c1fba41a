// Applies the free-text rules (access/text-field.ts) to a route's text fields before its schema
// runs: a valid value is replaced by its normalised form, an invalid one is refused with a
// field-level code (400), so a control character or a broken encoding never reaches the database.
import type { FastifyRequest, preValidationHookHandler } from 'fastify';
import { checkText, type TextRule } from '../access/text-field.js';
import { ApiError } from './errors.js';

export interface TextFields {
  readonly body?: Readonly<Record<string, TextRule>>;
  readonly querystring?: Readonly<Record<string, TextRule>>;
}

export function normaliseTextFields(fields: TextFields): preValidationHookHandler {
  return function normalise(request: FastifyRequest, _reply, done) {
    try {
      for (const part of ['body', 'querystring'] as const) {
        const rules = fields[part];
        const container = (part === 'body' ? request.body : request.query) as Record<string, unknown> | null | undefined;
        if (!rules || container === null || typeof container !== 'object' || Array.isArray(container)) continue;
        for (const [field, rule] of Object.entries(rules)) {
          const value = container[field];
          if (typeof value !== 'string') continue; // absent, null or of the wrong type: the schema decides
          const result = checkText(value, rule, field);
          if (!result.ok) throw new ApiError(result.problem, result.message, { field, in: part });
          container[field] = result.value;
        }
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  };
}
