/**
 * @module cli/main
 * The `verge` command: dispatches to a subcommand, and turns errors into one clear message
 * that says what to do next (exit code 2 for usage errors, 1 for everything else).
 */
import { isVergeError } from '../shared/errors.js';
import { UsageError } from './args.js';
import { EDGE_HELP, edgeCommand } from './edge-command.js';
import { UP_HELP, upCommand } from './up-command.js';
import { INVOKE_HELP, invokeCommand } from './invoke-command.js';
import { GENERATE_EVENT_HELP, generateEventCommand } from './generate-event-command.js';
import { DEV_HELP, devCommand } from './dev-command.js';
import { FUNCTIONS_HELP, functionsCommand } from './cmd-functions.js';
import { DISTRIBUTIONS_HELP, distributionsCommand } from './cmd-distributions.js';
import { TRIGGERS_HELP, triggersCommand } from './cmd-triggers.js';
import { INVALIDATIONS_HELP, invalidationsCommand } from './cmd-invalidations.js';
import { DEPLOY_HELP, ROLLBACK_HELP, deployCommand, rollbackCommand } from './cmd-deploy.js';
import { LOGS_HELP, logsCommand } from './cmd-logs.js';
import { METRICS_HELP, metricsCommand } from './cmd-metrics.js';
import { POPS_HELP, popsCommand } from './cmd-pops.js';
import { TOKENS_HELP, tokensCommand } from './cmd-tokens.js';
import { APPLY_HELP, applyCommand } from './cmd-apply.js';
import { LOGIN_HELP, loginCommand } from './cmd-login.js';
import { CONTROL_HELP, controlCommand } from './control-command.js';

const HELP = `verge: a self-hosted CDN with programmable edges (CloudFront + Lambda@Edge on your servers)

Usage: verge <command> [options]

Commands:
  up          control plane, console, three PoPs and a demo origin on this machine (npm start)
  edge        run one edge location (PoP) from distribution config files, or --control URL
  dev         serve a project folder (configs + functions), reloading on change
  invoke      run one function on one event, print result, logs and errors as JSON
  generate-event  print a sample Lambda@Edge event (viewer-request, origin-request, ...)

Control plane (talks to \`verge control\` / \`verge up\`; --url/--token, VERGE_URL/VERGE_TOKEN or \`verge login\`):
  functions      create|update-code|update|publish|list|get|delete|test functions and versions
  distributions  create|update|get|list|delete distributions
  triggers       add|remove|list function associations (name:version on a behavior and event)
  invalidations  create|get|list cache invalidations by path and tag
  deploy         show (--wait: follow live) the newest snapshot reaching every PoP; \`deploy history\`
  rollback       --to VERSION: make a new snapshot equal to an earlier one
  logs           query|tail function and access logs from every PoP
  metrics        function and distribution metrics as a compact table
  pops           list the registered PoPs and what they serve
  tokens         create|list|revoke API tokens
  apply          -f verge.json: configuration as code (shows the plan first)
  login          --url URL --token T: save the control plane and token to the profile

  help        show this help, or \`verge help <command>\`

Run \`verge <command> --help\` for a command's options.
`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; help: string }> = {
  up: { run: upCommand, help: UP_HELP },
  edge: { run: edgeCommand, help: EDGE_HELP },
  dev: { run: devCommand, help: DEV_HELP },
  invoke: { run: invokeCommand, help: INVOKE_HELP },
  'generate-event': { run: generateEventCommand, help: GENERATE_EVENT_HELP },
  functions: { run: functionsCommand, help: FUNCTIONS_HELP },
  distributions: { run: distributionsCommand, help: DISTRIBUTIONS_HELP },
  triggers: { run: triggersCommand, help: TRIGGERS_HELP },
  invalidations: { run: invalidationsCommand, help: INVALIDATIONS_HELP },
  deploy: { run: deployCommand, help: DEPLOY_HELP },
  rollback: { run: rollbackCommand, help: ROLLBACK_HELP },
  logs: { run: logsCommand, help: LOGS_HELP },
  metrics: { run: metricsCommand, help: METRICS_HELP },
  pops: { run: popsCommand, help: POPS_HELP },
  tokens: { run: tokensCommand, help: TOKENS_HELP },
  apply: { run: applyCommand, help: APPLY_HELP },
  login: { run: loginCommand, help: LOGIN_HELP },
  control: { run: controlCommand, help: CONTROL_HELP },
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
