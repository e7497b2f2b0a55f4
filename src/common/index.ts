export { ERROR_CODES, MqError, toMqError } from './errors';
export type { ErrorCode, MqErrorOptions } from './errors';
export { opt, defaultsOf, resolveOptions, describeOptions } from './options';
export type { OptionDef, OptionSpec, OptionType, Resolved } from './options';
export { parseProperties, parseArgs } from './properties';
export type { ParsedArgs } from './properties';
export { sleep, deferred, splitHostPort } from './util';
export type { Deferred } from './util';
export { freePort } from './net';
