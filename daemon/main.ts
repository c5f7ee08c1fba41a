// `maskgate <command>`: dispatches to one module per subcommand.
import { acquisitionSetCommand } from './commands/acquisition-set.js';
import { apikeyCommand } from './commands/apikey.js';
import { attackSetCommand } from './commands/attack-set.js';
import { evalPadCommand } from './commands/eval-pad.js';
import { padCommand } from './commands/pad.js';
import { benchCommand } from './commands/bench.js';
import { calibrateCommand } from './commands/calibrate.js';
import { configCommand } from './commands/config.js';
import { demoCommand } from './commands/demo.js';
import { embedCommand } from './commands/embed.js';
import { enrolCommand } from './commands/enrol.js';
import { evalCommand } from './commands/eval.js';
import { pairsCommand } from './commands/make-pairs.js';
import { modelsCommand } from './commands/models.js';
import { peopleCommand } from './commands/people.js';
import { replicationCommand } from './commands/replication.js';
import { runCommand } from './commands/run.js';
import { UsageError, type Command, type CommandIo } from './commands/command.js';

const COMMANDS: readonly Command[] = [
  runCommand,
  demoCommand,
  enrolCommand,
  peopleCommand,
  apikeyCommand,
  replicationCommand,
  embedCommand,
  evalCommand,
  calibrateCommand,
  configCommand,
  pairsCommand,
  modelsCommand,
  acquisitionSetCommand,
  padCommand,
  evalPadCommand,
  attackSetCommand,
  benchCommand,
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'maskgate — masked-face access control appliance',
    '',
    'Usage: maskgate <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `maskgate <command> --help` for a command\'s options.',
  ].join('\n');
}

export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`maskgate: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`maskgate ${name}: ${err.message}\nUsage: ${command.usage}\n`);
      return 2;
    }
    // Expected failures carry a code and a message written for the user; no stack trace.
    const { code } = err as { code?: unknown };
    io.stderr.write(`maskgate ${name}: ${(err as Error).message}${typeof code === 'string' ? ` [${code}]` : ''}\n`);
    return 1;
  }
}

