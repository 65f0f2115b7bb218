/**
 * @module runtime/host/log-cap
 * A function's log lines are buffered on the host until its invocation ends (JavaScript and
 * Python alike), so they are capped: at most MAX_LOG_BYTES characters per invocation (later
 * lines are dropped and one line says so), each line cut at MAX_LOG_LINE_BYTES (CloudWatch
 * Logs' 256 KB event limit).
 */
import type { FunctionLogLine } from '../../shared/lambda-edge/index.js';

export const MAX_LOG_BYTES = 1024 * 1024;
export const MAX_LOG_LINE_BYTES = 256 * 1024;

type Level = FunctionLogLine['level'];

/** `push` wrapped with the per-invocation and per-line caps (a new counter per call of this). */
export function cappedLog<A extends unknown[]>(
  push: (level: Level, message: string, ...rest: A) => void,
): (level: Level, message: string, ...rest: A) => void {
  let logged = 0;
  return (level, message, ...rest) => {
    if (logged > MAX_LOG_BYTES) return;
    if (message.length > MAX_LOG_LINE_BYTES)
      message = `${message.slice(0, MAX_LOG_LINE_BYTES)} [truncated: the line was ${message.length} characters]`;
    logged += message.length;
    if (logged > MAX_LOG_BYTES) {
      level = 'warn';
      message = `Log output truncated: more than ${MAX_LOG_BYTES} characters of log lines in one invocation; later lines were dropped`;
    }
    push(level, message, ...rest);
  };
}
