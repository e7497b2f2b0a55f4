export { main, usage } from './main';
export { registerCommand, listCommands } from './commands';
export type { Command } from './commands';
export { loadConfig } from './config';
export { startRuntime, printReady } from './runtime';
export type { ProcessRuntime, RuntimeOptions } from './runtime';
