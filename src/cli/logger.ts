/** Builds the process logger: pino JSON lines on stderr, level from the `logLevel` option or MQ_LOG_LEVEL. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(component: string, level?: string): Logger {
  return pino(
    { name: 'mq', level: level ?? process.env.MQ_LOG_LEVEL ?? 'info', base: { component, pid: process.pid } },
    pino.destination({ fd: 2, sync: true }),
  );
}
