#!/usr/bin/env node
// The production build of everything but the console (`npm run build` runs this, then Vite for
// the console; `npm install` runs `npm run build` through `prepare`). Writes dist/:
//   dist/<path>.js                         every src/<path>.ts but tests and the guest, transpiled
//                                          file by file with esbuild (no bundling: dist/ mirrors
//                                          src/, so paths like ../../examples resolve the same);
//                                          other files under src/ (the Python guest) are copied
//   dist/runtime/guest-prebuilt/runtime.js the guest runtime bundled for the isolate
//   dist/runtime/guest-prebuilt/builtins/  the guest's built-in modules (buffer, crypto, http, ...)
//   dist/vendor/typebox.js, undici.js      TypeBox and undici as one file each (see vendor())
//   dist/shared/schema/prebuilt-validators.cjs
//                                          the Ajv validators of the config and API schemas as
//                                          code (Ajv standalone), so a start does not compile them
//                                          (~0.3 s for the distribution schema); see schema/prebuilt.ts
// so `verge` starts without TypeScript or esbuild on its path and writes nothing into
// node_modules. The new tree is built beside dist/ and swapped in, so a `verge` running from the
// old one never sees half a build.
import { build, transform } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const src = join(root, 'src');
// --out DIR builds elsewhere (the built-bin test does, in a scratch tree that mirrors this one).
const outFlag = process.argv.indexOf('--out');
const dist = outFlag > 0 ? process.argv[outFlag + 1] : join(root, 'dist');
const started = Date.now();

/** Files under src/ that are not part of the shipped code. */
const skip = (rel) =>
  rel.endsWith('.test.ts') || rel.startsWith('runtime/guest/') || rel.endsWith('.md') || rel.endsWith('.d.ts');

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(relative(src, p));
  }
  return out.sort();
}

const all = walk(src).filter((f) => !skip(f));
const ts = all.filter((f) => f.endsWith('.ts'));
const assets = all.filter((f) => !f.endsWith('.ts'));
const out = `${dist}.tmp-${process.pid}`;
rmSync(out, { recursive: true, force: true });

/**
 * Packages loaded from many small files, bundled each into dist/vendor/<pkg>.js with just the
 * names dist/ imports: TypeBox is ~700 ES modules (~0.17 s CPU of a start, ~0.03 s bundled),
 * undici ~100 CommonJS files (~0.10 s, ~0.06 s). A package that dist/ imports other than by
 * `import { names } from "pkg"` is left as it is.
 */
const VENDOR = ['typebox', 'undici'];
async function vendor(outputFiles) {
  const names = new Map(VENDOR.map((p) => [p, new Set()]));
  for (const f of outputFiles) {
    if (!f.path.endsWith('.js')) continue;
    for (const pkg of VENDOR) {
      if (!f.text.includes(`"${pkg}"`)) continue;
      const named = [...f.text.matchAll(new RegExp(`^import \\{([^}]*)\\} from "${pkg}";$`, 'gm'))];
      const all = f.text.match(new RegExp(`"${pkg}"`, 'g')) ?? [];
      if (named.length !== all.length) names.set(pkg, null);
      for (const m of named) for (const n of m[1].split(',')) names.get(pkg)?.add(n.trim().split(/\s+as\s+/)[0]);
    }
  }
  const done = [];
  for (const [pkg, list] of names) {
    if (!list || list.size === 0) continue;
    await build({
      stdin: { contents: `export { ${[...list].sort().join(', ')} } from '${pkg}';`, resolveDir: root, loader: 'js' },
      outfile: join(out, 'vendor', `${pkg}.js`),
      // CommonJS inside (undici) requires Node's built-ins; an ES module has no `require` of its own.
      banner: { js: "import { createRequire as __vendorRequire } from 'node:module'; const require = __vendorRequire(import.meta.url);" }, // prettier-ignore
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      minify: true,
      logLevel: 'warning',
    });
    done.push(pkg);
  }
  return done;
}

try {
  await build({
    entryPoints: ts.map((f) => join(src, f)),
    outdir: out,
    outbase: src,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    sourcemap: 'linked',
    logLevel: 'warning',
    write: false,
  }).then(async ({ outputFiles }) => {
    const vendored = await vendor(outputFiles);
    for (const f of outputFiles) {
      mkdirSync(dirname(f.path), { recursive: true });
      if (!f.path.endsWith('.js')) {
        writeFileSync(f.path, f.contents);
        continue;
      }
      // Each vendored package's import goes to its one-file copy (esbuild prints `from "pkg";`).
      let text = f.text;
      for (const pkg of vendored) {
        const file = relative(dirname(f.path), join(out, 'vendor', `${pkg}.js`));
        text = text.replaceAll(` from "${pkg}";`, ` from "${file.startsWith('.') ? file : `./${file}`}";`);
      }
      writeFileSync(f.path, text);
    }
  });
  for (const f of assets) {
    mkdirSync(dirname(join(out, f)), { recursive: true });
    cpSync(join(src, f), join(out, f));
  }
  // The guest, built by the same code that builds it when running from source.
  const guest = await import(pathToFileURL(join(out, 'runtime/host/guest-code.js')).href);
  const builtins = await import(pathToFileURL(join(out, 'runtime/host/builtins/build.js')).href);
  const prebuilt = join(out, 'runtime', 'guest-prebuilt');
  mkdirSync(join(prebuilt, 'builtins'), { recursive: true });
  writeFileSync(join(prebuilt, 'runtime.js'), await guest.buildGuestSource(true));
  for (const [name, source] of await builtins.buildBuiltinSources())
    writeFileSync(join(prebuilt, 'builtins', `${name}.js`), source);
  // The schema validators, compiled by the same Ajv options the source compiles them with.
  const validators = await import(pathToFileURL(join(out, 'shared/schema/prebuilt.js')).href);
  const code = (await transform(await validators.prebuiltValidatorSource(), { minify: true, format: 'cjs' })).code;
  writeFileSync(join(out, validators.PREBUILT_FILE), code);
} catch (e) {
  rmSync(out, { recursive: true, force: true });
  console.error(`build failed: ${e?.message ?? e}`);
  process.exit(1);
}

const old = `${dist}.old-${process.pid}`;
if (existsSync(dist)) renameSync(dist, old);
renameSync(out, dist);
rmSync(old, { recursive: true, force: true });
console.log(
  `built ${relative(root, dist) || dist}/: ${ts.length} modules, ${assets.length} assets, the guest runtime and builtins in ${Date.now() - started} ms`,
);
