/**
 * @module cli/dev-command
 * `verge dev [DIR]`: the production edge as the dev server. Serves a project folder (its
 * distribution configs and their functions) and reloads on change; a broken config or function
 * is reported and the previous version keeps serving. Function `console.*` output and function
 * errors are printed as readable lines instead of JSON.
 */
import type { LogFields, Logger, LogLevel } from '../shared/log.js';
import { print } from '../shared/log.js';
import { intOption, parse } from './args.js';
import { describePlan, startDevServer } from './fn-dev-server.js';

export const DEV_HELP = `verge dev [DIR] [options]

Serves a project folder with a local edge and reloads it when a file changes. DIR (default .)
holds verge.json, or one or more *.json distribution configs, and the function code they
attach (paths are relative to the config). A config or function that fails to load is
reported and the previous version keeps serving; the cache of untouched behaviors is kept.

  --port N              viewer port (default 3000)
  --host ADDR           address to listen on (default 127.0.0.1)
  --origin URL          send every distribution's origin requests to URL instead of the
                        configured origins (a local app server, e.g. http://127.0.0.1:5173)
  --geo-overrides FILE  JSON map from CIDR to a location, to test geo headers locally
                        (e.g. {"127.0.0.1/32": {"countryCode": "DE"}})
  --access-log DEST     off (default), stdout, or a file path
  --debounce-ms N       wait this long after the last change before reloading (default 150)
`;

/** Function logs and errors as short lines; other warnings and errors with their fields. */
export function devLogger(write: (line: string) => void): Logger {
  const make = (base: LogFields): Logger => ({
    log(level: LogLevel, msg: string, fields: LogFields = {}) {
      const f = { ...base, ...fields };
      if (f.type === 'function-log') return write(`  [${String(f.functionName)} ${String(f.eventType)}] ${msg}`);
      if (f.type === 'function-error') return write(`  ✗ ${String(f.functionName)} at ${String(f.eventType)}: ${msg}`);
      if (level === 'warn' || level === 'error') {
        const { type: _t, ...rest } = f;
        write(`${level}: ${msg}${Object.keys(rest).length ? ' ' + JSON.stringify(rest) : ''}`);
      }
    },
    child: (fields) => make({ ...base, ...fields }),
  });
  return make({});
}

export async function devCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      origin: { type: 'string' },
      'geo-overrides': { type: 'string' },
      'access-log': { type: 'string' },
      'debounce-ms': { type: 'string' },
      help: { type: 'boolean' },
    },
    true,
  );
  if (values.help) return print(DEV_HELP);
  const dir = positionals[0] ?? '.';
  const dev = await startDevServer({
    dir,
    port: intOption(values.port, '--port', 3000),
    host: values.host ?? '127.0.0.1',
    ...(values.origin ? { origin: values.origin } : {}),
    debounceMs: intOption(values['debounce-ms'], '--debounce-ms', 150, 0, 60_000),
    out: print,
    edge: {
      logger: devLogger(print),
      accessLog: values['access-log'] ?? 'off',
      ...(values['geo-overrides'] ? { geoOverrides: values['geo-overrides'] } : {}),
    },
  });
  print(`verge dev serving ${dev.configFiles.join(', ')}`);
  print(`  ${describePlan(dev.edge.plan())}`);
  if (values.origin) print(`  every origin → ${values.origin}`);
  const d = dev.edge.plan().distributions[0];
  const host = d?.aliases[0];
  print(`viewers  ${dev.url}${host && host !== 'localhost' && host !== '127.0.0.1' ? `  (send Host: ${host})` : ''}`);
  print('Watching for changes. Ctrl-C stops it.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dev.close();
}
