/**
 * @module cli/main
 * The `verge` command: dispatches to a subcommand, and turns errors into one clear message
 * that says what to do next (exit code 2 for usage errors, 1 for everything else).
 */
import { isVergeError } from '../shared/errors.js';
import { UsageError } from './args.js';
import { PortError } from './ports.js';

const HELP = `verge: a self-hosted CDN with programmable edges (CloudFront + Lambda@Edge on your servers)

Usage: verge <command> [options]

Commands:
  up          control plane, console, three PoPs and a demo origin on this machine (npm start)
  control     the control plane alone: REST API, console, replication, logs and metrics
  edge        run one edge location (PoP) from distribution config files, or --control URL
  dev         serve a project folder (configs + functions), reloading on change
  invoke      run one function on one event, print result, logs and errors as JSON
  generate-event  print a sample Lambda@Edge event (viewer-request, origin-request, ...)
  import      cloudfront --config FILE: a CloudFront distribution as a Verge config

Control plane (talks to \`verge control\` / \`verge up\`; --url/--token, VERGE_URL/VERGE_TOKEN or \`verge login\`):
  functions      create|update-code|update|publish|list|get|delete|test functions and versions
  distributions  create|update|get|list|delete distributions
  triggers       add|remove|list function associations (name:version on a behavior and event)
  invalidations  create|get|list cache invalidations by path and tag
  deploy         show (--wait: follow live) the newest snapshot reaching every PoP; \`deploy history\`
  rollback       --to VERSION: make a new snapshot equal to an earlier one (--distribution ID: that one alone)
  staging        create|route|status|promote|discard a staging copy of a distribution (continuous deployment)
  logs           query|tail function and access logs from every PoP
  metrics        function and distribution metrics as a compact table
  pops           list the registered PoPs and what they serve; remove one that is gone
  tokens         create|list|revoke API tokens
  public-keys    create|list|get|delete public keys for signed URLs and cookies
  key-groups     create|update|list|get|delete key groups that cache behaviors trust
  apply          -f verge.json: configuration as code (shows the plan first)
  login          --url URL --token T: save the control plane and token to the profile

  help        show this help, or \`verge help <command>\`

Run \`verge <command> --help\` for a command's options.
`;

/**
 * Each command's module loads only when that command runs, so `verge edge` does not load the
 * control plane (SQLite) and `verge functions list` does not load the edge.
 */
type Command = { run: (argv: string[]) => Promise<void>; help: string };
const COMMANDS: Record<string, () => Promise<Command>> = {
  up: () => import('./up-command.js').then((m) => ({ run: m.upCommand, help: m.UP_HELP })),
  edge: () => import('./edge-command.js').then((m) => ({ run: m.edgeCommand, help: m.EDGE_HELP })),
  dev: () => import('./dev-command.js').then((m) => ({ run: m.devCommand, help: m.DEV_HELP })),
  invoke: () => import('./invoke-command.js').then((m) => ({ run: m.invokeCommand, help: m.INVOKE_HELP })),
  'generate-event': () =>
    import('./generate-event-command.js').then((m) => ({ run: m.generateEventCommand, help: m.GENERATE_EVENT_HELP })),
  functions: () => import('./cmd-functions.js').then((m) => ({ run: m.functionsCommand, help: m.FUNCTIONS_HELP })),
  distributions: () =>
    import('./cmd-distributions.js').then((m) => ({ run: m.distributionsCommand, help: m.DISTRIBUTIONS_HELP })),
  triggers: () => import('./cmd-triggers.js').then((m) => ({ run: m.triggersCommand, help: m.TRIGGERS_HELP })),
  invalidations: () =>
    import('./cmd-invalidations.js').then((m) => ({ run: m.invalidationsCommand, help: m.INVALIDATIONS_HELP })),
  deploy: () => import('./cmd-deploy.js').then((m) => ({ run: m.deployCommand, help: m.DEPLOY_HELP })),
  rollback: () => import('./cmd-deploy.js').then((m) => ({ run: m.rollbackCommand, help: m.ROLLBACK_HELP })),
  staging: () => import('./cmd-staging.js').then((m) => ({ run: m.stagingCommand, help: m.STAGING_HELP })),
  logs: () => import('./cmd-logs.js').then((m) => ({ run: m.logsCommand, help: m.LOGS_HELP })),
  metrics: () => import('./cmd-metrics.js').then((m) => ({ run: m.metricsCommand, help: m.METRICS_HELP })),
  pops: () => import('./cmd-pops.js').then((m) => ({ run: m.popsCommand, help: m.POPS_HELP })),
  tokens: () => import('./cmd-tokens.js').then((m) => ({ run: m.tokensCommand, help: m.TOKENS_HELP })),
  'public-keys': () => import('./cmd-keys.js').then((m) => ({ run: m.publicKeysCommand, help: m.PUBLIC_KEYS_HELP })),
  'key-groups': () => import('./cmd-keys.js').then((m) => ({ run: m.keyGroupsCommand, help: m.KEY_GROUPS_HELP })),
  apply: () => import('./cmd-apply.js').then((m) => ({ run: m.applyCommand, help: m.APPLY_HELP })),
  login: () => import('./cmd-login.js').then((m) => ({ run: m.loginCommand, help: m.LOGIN_HELP })),
  import: () => import('./import-command.js').then((m) => ({ run: m.importCommand, help: m.IMPORT_HELP })),
  control: () => import('./control-command.js').then((m) => ({ run: m.controlCommand, help: m.CONTROL_HELP })),
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    const topic = rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(topic ? (await topic()).help : HELP);
    return 0;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    process.stderr.write(`verge: unknown command "${cmd}". Run \`verge help\` for the list of commands.\n`);
    return 2;
  }
  try {
    const command = await load();
    await command.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`verge ${cmd}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof PortError) {
      process.stderr.write(`verge ${cmd}: ${e.message}\n`);
      return 1;
    }
    const listen = e as NodeJS.ErrnoException & { port?: number; address?: string };
    if (listen?.code === 'EADDRINUSE' && listen.syscall === 'listen') {
      process.stderr.write(`verge ${cmd}: port ${listen.port} is already in use on ${listen.address}\n`);
      return 1;
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
