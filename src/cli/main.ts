/**
 * @module cli/main
 * The `verge` command: dispatches to a subcommand, and turns errors into one clear message
 * that says what to do next (exit code 2 for usage errors, 1 for everything else).
 */
import { isVergeError } from '../shared/errors.js';
import { UsageError } from './args.js';
import { EDGE_HELP, edgeCommand } from './edge-command.js';
import { INVOKE_HELP, invokeCommand } from './invoke-command.js';
import { GENERATE_EVENT_HELP, generateEventCommand } from './generate-event-command.js';
import { DEV_HELP, devCommand } from './dev-command.js';

const HELP = `verge: a self-hosted CDN with programmable edges (CloudFront + Lambda@Edge on your servers)

Usage: verge <command> [options]

Commands:
  edge        run one edge location (PoP) from distribution config files
  dev         serve a project folder (configs + functions), reloading on change
  invoke      run one function on one event, print result, logs and errors as JSON
  generate-event  print a sample Lambda@Edge event (viewer-request, origin-request, ...)
  help        show this help, or \`verge help <command>\`

Run \`verge <command> --help\` for a command's options.
`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; help: string }> = {
  edge: { run: edgeCommand, help: EDGE_HELP },
  dev: { run: devCommand, help: DEV_HELP },
  invoke: { run: invokeCommand, help: INVOKE_HELP },
  'generate-event': { run: generateEventCommand, help: GENERATE_EVENT_HELP },
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    const topic = rest[0] && COMMANDS[rest[0]];
    process.stdout.write(topic ? topic.help : HELP);
    return 0;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    process.stderr.write(`verge: unknown command "${cmd}". Run \`verge help\` for the list of commands.\n`);
    return 2;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`verge ${cmd}: ${e.message}\n`);
      return 2;
    }
    if (isVergeError(e)) {
      process.stderr.write(`verge ${cmd}: ${e.code}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`verge ${cmd}: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Leave once the work is done even if a library left a handle open.
setTimeout(() => process.exit(code), 2000).unref();
