#!/usr/bin/env node
// Enforces the dependency rules of DESIGN section 5 on relative imports under src/:
// which top-level module may import which. Prints every violation with file and line.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const src = join(root, 'src');

/** Module of a file: the first one or two path segments under src/ that name a unit. */
function moduleOf(rel) {
  const parts = rel.split('/');
  if (parts[0] === 'edge' || parts[0] === 'runtime') return parts.slice(0, 2).join('/');
  return parts[0];
}

// [importer pattern, allowed imported-module patterns]. The first matching importer wins.
const RULES = [
  ['shared', [/^shared$/]],
  ['edge/config', [/^shared$/, /^edge\/config$/]],
  // Bodies as streams: the body types and growing bodies every layer shares; a leaf of leaves.
  ['edge/body', [/^edge\/body$/]],
  ['edge/cache', [/^shared$/, /^edge\/cache$/, /^edge\/config$/, /^edge\/body$/]],
  ['edge/origin', [/^shared$/, /^edge\/origin$/, /^edge\/config$/, /^edge\/body$/]],
  ['edge/geo', [/^shared$/, /^edge\/geo$/, /^edge\/config$/]],
  ['edge/compress', [/^shared$/, /^edge\/compress$/, /^edge\/config$/, /^edge\/body$/]],
  ['edge/policies', [/^shared$/, /^edge\/policies$/, /^edge\/config$/]],
  ['edge/deliver', [/^shared$/, /^edge\/deliver$/, /^edge\/config$/, /^edge\/body$/]],
  ['edge/functions', [/^shared$/, /^edge\/functions$/, /^edge\/config$/, /^runtime\/host$/]],
  ['edge/sync', [/^shared$/, /^edge\/sync$/, /^edge\/config$/]],
  // Signed URL and cookie verification is a leaf: it knows keys and policies, not the pipeline.
  ['edge/signed', [/^shared$/, /^edge\/signed$/]],
  // Tiered caching: an origin-selection layer over the origin client (PoP side) and the regional's cache.
  ['edge/tier', [/^shared$/, /^edge\/tier$/, /^edge\/config$/, /^edge\/origin$/, /^edge\/body$/]],
  [
    'edge/pipeline',
    [/^shared$/, /^edge\/(pipeline|config|cache|origin|functions|geo|compress|policies|deliver|observe|signed|body)$/],
  ],
  ['edge/observe', [/^shared$/, /^edge\/observe$/, /^edge\/config$/, /^edge\/cache$/]],
  ['edge', [/^shared$/, /^edge\//, /^runtime\/host$/]],
  // runtime/host's createFunctionRuntime dispatches Python sources to runtime/python, which
  // reuses the host's limits and validator: the two are one runtime behind FunctionRuntime.
  ['runtime/host', [/^shared$/, /^runtime\/host$/, /^runtime\/python$/]],
  ['runtime/python', [/^shared$/, /^runtime\/python$/, /^runtime\/host$/]],
  ['runtime/guest', [/^shared$/, /^runtime\/guest$/]],
  // The control plane runs `POST /functions/{name}/test` on the same engine as `verge invoke`.
  ['control', [/^shared$/, /^control$/, /^runtime\/host$/]],
  ['client', [/^shared$/, /^client$/]],
  // Process entry points (`verge edge`, `verge control`, `verge up`, `verge invoke`) start servers in-process.
  ['cli', [/^shared$/, /^client$/, /^cli$/, /^edge$/, /^edge\//, /^runtime\/host$/, /^control$/]],
];

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const violations = [];
for (const file of files(src)) {
  const rel = relative(src, file);
  const from = moduleOf(rel);
  const rule = RULES.find(([m]) => from === m || from.startsWith(m + '/'));
  if (!rule) continue;
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    const m = line.match(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/);
    if (!m) return;
    const target = relative(src, resolve(dirname(file), m[1]));
    if (target.startsWith('..')) return;
    const to = moduleOf(target);
    if (!rule[1].some((re) => re.test(to)))
      violations.push(`${relative(root, file)}:${i + 1}: ${from} may not import ${to} (${m[1]})`);
  });
}
if (violations.length) {
  console.error(`dependency rules: ${violations.length} violation(s) (see DESIGN.md section 5)`);
  for (const v of violations) console.error('  ' + v);
  process.exit(1);
}
console.log('dependency rules: ok');
