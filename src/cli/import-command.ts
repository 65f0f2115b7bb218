/**
 * @module cli/import-command
 * `verge import cloudfront --config dist.json [--functions DIR] [--policies DIR] [--id ID]
 * [--out FILE]`: how a CloudFront user moves in. Reads what the AWS CLI printed, finds the
 * function packages and custom policies in the given folders, converts (import-cloudfront.ts),
 * validates the result with the same validator as `verge edge`, writes the Verge config and
 * prints, on stderr, every setting it could not map and why.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { formatProblems, validateDistribution } from '../shared/config/validate.js';
import type { FunctionConfig } from '../shared/config/types.js';
import { print } from '../shared/log.js';
import { UsageError, parse } from './args.js';
import { importCloudFront, type FoundFunction } from './import-cloudfront.js';
import type { Aws } from './import-cloudfront-policies.js';

export const IMPORT_HELP = `verge import cloudfront --config FILE [--functions DIR] [--policies DIR] [--id ID] [--out FILE]

Converts a CloudFront distribution into a Verge distribution config (for \`verge edge --config\`,
\`verge dev\`, or the "distributions" of \`verge apply\`), and lists on stderr every setting it
could not map, by JSON path, with what to do instead.

  --config FILE     what \`aws cloudfront get-distribution-config --id ID > FILE\` printed
                    (get-distribution's output, or a bare DistributionConfig, work too)
  --functions DIR   the functions the behaviors name, by the name in their ARN:
                    Lambda@Edge NAME: NAME/ (a folder), NAME.zip, or NAME.js|.mjs|.cjs|.py, and
                    optionally NAME.json (\`aws lambda get-function\`: handler and runtime);
                    CloudFront Functions NAME: NAME.js, and optionally NAME.json
                    (\`aws cloudfront describe-function\`: js-1.0 or js-2.0, default js-2.0)
  --policies DIR    custom policies as \`aws cloudfront get-cache-policy\`,
                    \`get-origin-request-policy\` or \`get-response-headers-policy --id ID\` print
                    them, one per .json file (managed policies need nothing)
  --id ID           the Verge distribution id (default: the config file's name)
  --out FILE        write the config there (default: stdout); function paths are relative to it
`;

function readJson(path: string, what: string): Aws {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${what} ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as Aws;
  } catch (e) {
    throw new UsageError(`${what} ${path} is not JSON: ${(e as Error).message}`);
  }
}

/** Custom policies by id, from every .json file in `dir` that holds one. */
function readPolicies(dir: string): Map<string, Aws> {
  const out = new Map<string, Aws>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const doc = readJson(join(dir, f), 'policy file');
    const p: Aws | undefined = doc.CachePolicy ?? doc.OriginRequestPolicy ?? doc.ResponseHeadersPolicy;
    if (p?.Id) out.set(String(p.Id), doc);
  }
  return out;
}

function lambdaRuntime(r: unknown): FunctionConfig['runtime'] | undefined {
  if (typeof r !== 'string') return undefined;
  return r.startsWith('python') ? 'python' : r.startsWith('nodejs') ? 'nodejs' : undefined;
}

/** Looks up a function's package in `dir`; paths come back relative to `base` (the output's folder). */
function functionFinder(dir: string, base: string) {
  return (name: string, kind: 'lambda' | 'cloudfront-function'): FoundFunction | undefined => {
    const candidates =
      kind === 'lambda' ? [name, `${name}.zip`, `${name}.js`, `${name}.mjs`, `${name}.cjs`, `${name}.py`] : [`${name}.js`]; // prettier-ignore
    const hit = candidates.map((c) => join(dir, c)).find((p) => existsSync(p) && (p.endsWith(name) ? statSync(p).isDirectory() : true)); // prettier-ignore
    if (!hit) return undefined;
    const rel = relative(base, hit) || '.';
    const found: FoundFunction = { path: rel.startsWith('.') ? rel : `./${rel}` };
    const meta = join(dir, `${name}.json`);
    if (existsSync(meta)) {
      const doc = readJson(meta, 'function description');
      if (kind === 'lambda') {
        const c: Aws = doc.Configuration ?? {};
        const runtime = lambdaRuntime(c.Runtime);
        if (runtime) found.runtime = runtime;
        if (typeof c.Handler === 'string') found.handler = c.Handler;
      } else {
        const r = doc.FunctionSummary?.FunctionConfig?.Runtime;
        if (r === 'cloudfront-js-1.0' || r === 'cloudfront-js-2.0') found.runtime = r;
      }
    }
    return found;
  };
}

export async function importCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      config: { type: 'string' },
      functions: { type: 'string' },
      policies: { type: 'string' },
      id: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
    true,
  );
  if (values.help) return print(IMPORT_HELP.trimEnd());
  if (positionals[0] !== 'cloudfront')
    throw new UsageError('say what to import from: `verge import cloudfront --config FILE` (CloudFront is the one source)'); // prettier-ignore
  if (!values.config) throw new UsageError('--config FILE is required (the output of `aws cloudfront get-distribution-config --id ID`)'); // prettier-ignore
  const input = readJson(values.config, '--config');
  const id = values.id ?? basename(values.config).replace(/\.json$/i, '').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[-_]+/, ''); // prettier-ignore
  const base = values.out ? dirname(resolve(values.out)) : process.cwd();
  for (const [flag, dir] of [['--functions', values.functions], ['--policies', values.policies]] as const)
    if (dir && !(existsSync(dir) && statSync(dir).isDirectory())) throw new UsageError(`${flag} ${dir} is not a folder`); // prettier-ignore
  let result;
  try {
    result = importCloudFront(input, {
      id,
      ...(values.policies ? { policies: readPolicies(values.policies) } : {}),
      ...(values.functions ? { findFunction: functionFinder(resolve(values.functions), base) } : {}),
    });
  } catch (e) {
    throw new UsageError(`--config ${values.config}: ${(e as Error).message}`);
  }
  const json = JSON.stringify(result.config, null, 2) + '\n';
  const checked = validateDistribution(result.config);
  if (values.out) writeFileSync(values.out, json);
  else process.stdout.write(json);
  const err = (l: string) => process.stderr.write(l + '\n');
  if (result.unmapped.length) {
    err(`not mapped (${result.unmapped.length}):`);
    for (const u of result.unmapped) err(`  ${u.path}: ${u.message}`);
  } else err('every setting was mapped.');
  if (!checked.ok) {
    err(`the result does not validate yet; fix these in ${values.out ?? 'the output'}:`);
    err(formatProblems(checked.problems, '  '));
    process.exitCode = 1;
  } else if (values.out) err(`wrote ${values.out}: try it with \`verge edge --config ${values.out}\``);
}
