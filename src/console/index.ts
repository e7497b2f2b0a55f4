/** The web console: JSON API over the admin client, backlog alerts, and the single-page front end it serves. */
export { ConsoleServer, roleOf } from './server';
export type { ConsoleDeps, Role } from './server';
export { ConsoleApi, messageView, GRANULARITY } from './api';
export type { LagRow, MessageView } from './api';
export { AlertStore, evaluate, prometheusRules, validateThreshold } from './alerts';
export type { AlertState, Threshold } from './alerts';
export { CONSOLE_OPTIONS, resolveConsoleOptions } from './options';
export type { ConsoleOptions } from './options';
export { gatewayLeases } from './leases';
export type { LeaseRow } from './leases';
