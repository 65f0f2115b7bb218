/**
 * @module shared/log
 * Structured logging: one JSON object per line. The only place in src/ allowed to write to
 * stdout/stderr directly; everything else takes a Logger.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  base?: LogFields;
}

export function createLogger(opts: JsonLoggerOptions = {}): Logger {
  const min = order[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const base = opts.base ?? {};
  return {
    log(level, msg, fields) {
      if (order[level] < min) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }));
    },
    child(fields) {
      return createLogger({ ...opts, base: { ...base, ...fields } });
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
