// `maskgate enrol`: create a person and enrol reference photos from files, offline.
import { readFile } from 'node:fs/promises';
import { Core } from '../appliance.js';
import { EnrolmentError } from '../../access/gallery.js';
import { requireText, TEXT_RULES } from '../../access/text-field.js';
import { UsageError, type Command } from './command.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions, refuseOnReplica } from './shared.js';

export const enrolCommand: Command = {
  name: 'enrol',
  summary: 'Create a person and enrol reference photos (unmasked) from image files',
  usage: 'maskgate enrol --name <display name> [--external-id <id>] [--person <id>] [--force] [--config <file>] <photo>...',
  async run(args, io) {
    const { values, positionals } = parseOptions(
      args,
      { ...CONFIG_OPTION, name: { type: 'string' }, 'external-id': { type: 'string' }, person: { type: 'string' }, force: { type: 'boolean' } },
      true,
    );
    if (positionals.length === 0) throw new UsageError('give at least one photo');
    if (!values.person && !values.name) throw new UsageError('give --name for a new person or --person <id> for an existing one');
    // The same text rules as the enrolment API: a name stored here is a name the API would store.
    const name = values.name === undefined ? undefined : requireText(values.name, TEXT_RULES.displayName, '--name');
    const externalId = values['external-id'] === undefined ? null : requireText(values['external-id'], TEXT_RULES.externalId, '--external-id');
    const { config, logger } = loadConfigAndLogger(values.config, 'warn');
    refuseOnReplica(config, 'enrol');
    const core = await Core.open(config, logger);
    try {
      const person = values.person
        ? core.gallery.person(values.person)
        : core.gallery.createPerson(name!, externalId);
      if (!person) throw new UsageError(`no person with id ${values.person}`);
      let failures = 0;
      for (const file of positionals) {
        try {
          const { face } = await core.gallery.enrolPhoto(person.id, await readFile(file), { force: values.force ?? false });
          io.stdout.write(`${JSON.stringify({ path: file, personId: person.id, faceId: face.id })}\n`);
        } catch (err) {
          failures++;
          const code = err instanceof EnrolmentError ? err.code : ((err as { code?: string }).code ?? 'error');
          io.stdout.write(`${JSON.stringify({ path: file, personId: person.id, error: code, message: (err as Error).message })}\n`);
        }
      }
      return failures === 0 ? 0 : 1;
    } finally {
      await core.close();
    }
  },
};
