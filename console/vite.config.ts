/**
 * @module console/vite.config
 * Builds the web console into `console/dist`, which `verge control` serves at `/`. React's JSX
 * goes through Vite's own transform (automatic runtime), so no framework plugin is needed (a
 * plugin would pull in a newer Vite). The console imports the REST client from `src/client`
 * and the example functions (as `?raw` text) from `examples/`, both outside this folder.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
  },
  server: { fs: { allow: ['..'] } },
});
