/**
 * @module shared/log
 * Structured logging: one JSON object per line. The only place in src/ allowed to write to
 * stdout/stderr directly; everything else takes a Logger.
 */
import { createRequire } from 'node:module';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface JsonLoggerOptions {
  level?: LogLevel;
  /** Where each line goes (without its newline); default: standard error. */
  write?: (line: string) => void;
  base?: LogFields;
}

type Pino = typeof import('pino');
/** The part of a pino logger this file uses. */
type PinoLogger = Record<LogLevel, (a: unknown, b?: string) => void> & { child(f: LogFields): PinoLogger };
const require = createRequire(import.meta.url);

/**
 * The JSON logger, pino underneath: `{"level":"info","time":"<ISO 8601>",...base,...fields,"msg":"..."}`,
 * one object a line (the same fields as the hand-written logger it replaced, in pino's order).
 * Standard error is written synchronously (pino's sync destination), so a command that logs and
 * exits loses no line and lines stay in order with `print`. pino loads on the first logger, not
 * with this module (commands that only `print` do not pay for it).
 */
export function createLogger(opts: JsonLoggerOptions = {}): Logger {
  const pino = require('pino') as Pino;
  const write = opts.write;
  const destination = write
    ? { write: (s: string) => write(s.endsWith('\n') ? s.slice(0, -1) : s) }
    : pino.destination({ dest: 2, sync: true });
  const root = pino.pino(
    {
      level: opts.level ?? 'info',
      base: null,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label: string) => ({ level: label }) },
    },
    destination,
  );
  const logger = root as unknown as PinoLogger;
  return wrap(opts.base && Object.keys(opts.base).length > 0 ? logger.child(opts.base) : logger);
}

function wrap(p: PinoLogger): Logger {
  return {
    log(level, msg, fields) {
      if (fields) p[level](fields, msg);
      else p[level](msg);
    },
    child(fields) {
      return wrap(p.child(fields));
    },
  };
}

/** A logger that keeps lines in memory; for tests. */
export function memoryLogger(): Logger & { lines: LogFields[] } {
  const lines: LogFields[] = [];
  const make = (base: LogFields): Logger => ({
    log(level, msg, fields) {
      lines.push({ level, msg, ...base, ...fields });
    },
    child(fields) {
      return make({ ...base, ...fields });
    },
  });
  return Object.assign(make({}), { lines });
}

export const silentLogger: Logger = {
  log() {},
  child() {
    return silentLogger;
  },
};

/** Write a line for a human on stdout (CLI output). */
export function print(line: string): void {
  process.stdout.write(line + '\n');
}
