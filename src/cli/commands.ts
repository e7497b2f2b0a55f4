/** The `mq` subcommand table. Each subcommand lives in its own file and is registered here. */
export interface Command {
  name: string;
  summary: string;
  /** Runs the command; resolves with the process exit code when it has finished. */
  run(argv: string[]): Promise<number>;
}

const commands = new Map<string, Command>();

export function registerCommand(cmd: Command): void {
  commands.set(cmd.name, cmd);
}

export function listCommands(): Command[] {
  return [...commands.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function findCommand(name: string): Command | undefined {
  return commands.get(name);
}
