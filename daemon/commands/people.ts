// `maskgate people list|delete`: inspect and forget enrolled people from the command line.
import { Core } from '../appliance.js';
import { UsageError, type Command } from './command.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions, refuseOnReplica } from './shared.js';

export const peopleCommand: Command = {
  name: 'people',
  summary: 'List enrolled people, or delete one for good (faces, crops and templates)',
  usage: 'maskgate people list [--config <file>]\n       maskgate people delete <person-id> [--config <file>]',
  async run(args, io) {
    const [action, ...rest] = args;
    const { values, positionals } = parseOptions(rest, CONFIG_OPTION, true);
    if (action !== 'list' && action !== 'delete') throw new UsageError('expected "list" or "delete"');
    const { config, logger } = loadConfigAndLogger(values.config, 'warn');
    if (action === 'delete') refuseOnReplica(config, 'delete people');
    const core = await Core.open(config, logger);
    try {
      if (action === 'list') {
        for (let offset = 0; ; offset += 1000) {
          const page = core.gallery.listPeople({ limit: 1000, offset });
          for (const p of page) {
            const faces = core.gallery.faceCount(p.id);
            io.stdout.write(`${JSON.stringify({ id: p.id, displayName: p.displayName, externalId: p.externalId, active: p.active, faces })}\n`);
          }
          if (page.length < 1000) break;
        }
        return 0;
      }
      const [id] = positionals;
      if (!id) throw new UsageError('give the person id to delete');
      const report = core.gallery.deletePerson(id);
      if (!report.found) {
        io.stderr.write(`no person with id ${id}\n`);
        return 1;
      }
      io.stdout.write(`${JSON.stringify({ deleted: id, faces: report.facesDeleted, templates: report.templatesDeleted })}\n`);
      return 0;
    } finally {
      await core.close();
    }
  },
};
