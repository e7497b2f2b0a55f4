/** `mq <subcommand>`: the only entry point that reads argv, env and files. */
import { findCommand, listCommands } from './commands';
import './register';

export function usage(): string {
  const lines = listCommands().map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return [
    'usage: mq <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'Run `mq <command> --help` for the options of a command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = findCommand(name);
  if (!cmd) {
    console.error(`mq: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  return cmd.run(rest);
}
