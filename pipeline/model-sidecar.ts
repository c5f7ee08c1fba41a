// What the small classifier models (PAD, mask flag) share in their sidecar JSON: the tensor names,
// the preprocessing of the input crop, and where the weights came from; and the reading of the
// sidecar with a typed ModelLoadError for a missing or invalid file.
import { readFile } from 'node:fs/promises';
import type { ValidateFunction } from 'ajv';
import Type from 'typebox';
import { sidecarPathFor } from './embedder.js';
import { ModelLoadError } from './execution-providers.js';

export const SidecarInputFields = {
  modelId: Type.String({ minLength: 1 }),
  inputName: Type.String({ minLength: 1 }),
  outputName: Type.String({ minLength: 1 }),
  channelOrder: Type.Union([Type.Literal('RGB'), Type.Literal('BGR')]),
  mean: Type.Tuple([Type.Number(), Type.Number(), Type.Number()], { title: 'Per model channel: x\' = (x - mean) / std on 0..255' }),
  std: Type.Tuple([Type.Number({ exclusiveMinimum: 0 }), Type.Number({ exclusiveMinimum: 0 }), Type.Number({ exclusiveMinimum: 0 })]),
  licence: Type.String({ minLength: 1 }),
  source: Type.String({ minLength: 1 }),
  provenance: Type.Optional(Type.Object({}, { additionalProperties: true, title: 'Training data and metrics; the daemon does not read it' })),
};

/** Reads and validates `<model>.json`; `what` names the model in messages ("PAD", "Mask classifier"). */
export async function readModelSidecar<T>(modelPath: string, validate: ValidateFunction<T>, what: string): Promise<T> {
  const path = sidecarPathFor(modelPath);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ModelLoadError(missing ? 'sidecar_missing' : 'sidecar_invalid', `${what} sidecar ${path} ${missing ? 'not found' : 'is unreadable or not JSON'}`, modelPath, {
      cause: err,
    });
  }
  if (validate(json)) return json;
  throw new ModelLoadError('sidecar_invalid', `${what} sidecar ${path} is invalid: ${lastProblems(validate).join('; ')}`, modelPath);
}

/** What is wrong with a sidecar's JSON, one line per problem (empty when it is valid). */
export function sidecarProblems<T>(validate: ValidateFunction<T>, json: unknown): string[] {
  return validate(json) ? [] : lastProblems(validate);
}

/** The problems `validate` found in the value it last rejected. */
function lastProblems(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
}
