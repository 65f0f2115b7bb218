/**
 * @module test/harness/cli
 * Run the real `verge` executable (bin/verge.js) against a control plane, with VERGE_URL and
 * VERGE_TOKEN set and no profile file, bounded in time; answers the exit code and both streams.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/verge.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runVerge(
  args: string[],
  o: { url: string; token: string; dir: string; cwd?: string; timeoutMs?: number },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // From source (tsx), as every test runs it: no build needed.
    const env = {
      ...process.env,
      VERGE_FROM_SOURCE: '1',
      VERGE_URL: o.url,
      VERGE_TOKEN: o.token,
      VERGE_CONFIG: join(o.dir, 'no-profile.json'),
    };
    const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], {
      env,
      stdio: 'pipe',
      ...(o.cwd ? { cwd: o.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`verge ${args.join(' ')} did not finish in time\n${stdout}\n${stderr}`));
    }, o.timeoutMs ?? 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}
