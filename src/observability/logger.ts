// Structured JSON logs, one line per event; child loggers carry request, job and object ids.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'fulcrum'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
