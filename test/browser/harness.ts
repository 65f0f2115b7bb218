/**
 * @module test/browser/harness
 * What the console's browser tests stand on: `verge up` started as a child process on free
 * loopback ports with a temp data dir (its admin token read from `<data-dir>/admin-token`),
 * and Debian's Chromium driven by playwright-core with a fresh profile. Screenshots go to
 * `test-results/screenshots/` (named in the README).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { freePorts } from '../harness/ports.js';
import { reapOnExit } from '../harness/reap.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The CLI from src/ through tsx, like this test (no build needed).
process.env.VERGE_FROM_SOURCE = '1';
export const SHOTS = join(ROOT, 'test-results', 'screenshots');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 812 };

/** Why the browser tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (!existsSync(CHROMIUM))
    return `no ${CHROMIUM}: install the Debian package \`chromium\` (apt-get install chromium)`;
  if (!existsSync(join(ROOT, 'console', 'dist', 'index.html')))
    return 'the console is not built: run `npm run build:console`';
  return undefined;
}

export interface UpProcess {
  url: string;
  token: string;
  popUrls: string[];
  /** The control plane's data directory (its SQLite database is `verge.db` there). */
  dataDir: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `verge up` (plus `extraArgs`) and resolves once it prints its banner (bounded by `timeoutMs`). */
export async function startVergeUp(timeoutMs = 120_000, extraArgs: string[] = []): Promise<UpProcess> {
  const [control, e1, e2, e3, a1, a2, a3, origin] = await freePorts(8);
  const dir = mkdtempSync(join(tmpdir(), 'verge-console-'));
  const dataDir = join(dir, 'data');
  const args = ['--no-node-snapshot', 'bin/verge.js', 'up', '--port', String(control), '--edge-ports', `${e1},${e2},${e3}`,
    '--admin-ports', `${a1},${a2},${a3}`, '--origin-port', String(origin), '--data-dir', dataDir, ...extraArgs]; // prettier-ignore
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  reapOnExit(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (!out.includes('Verge is up')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`verge up did not start:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url: `http://127.0.0.1:${control}`,
    token: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim(),
    popUrls: [e1, e2, e3].map((p) => `http://127.0.0.1:${p}`),
    dataDir,
    output: () => out,
    stop,
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors seen so far (a console page should have none). */
  errors: string[];
  /** Content-Security-Policy violations Chromium reported (the console must cause none). */
  cspViolations: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'verge-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: DESKTOP,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'], // prettier-ignore
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  return {
    context,
    page,
    errors,
    cspViolations,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the console and signs in with the admin token; resolves on the overview. */
export async function signIn(page: Page, up: UpProcess): Promise<void> {
  await page.goto(up.url + '/');
  await page.fill('input[name=token]', up.token);
  await page.click('button:has-text("Sign in")');
  await page.locator('h1:has-text("Overview")').waitFor();
}

/** Screenshots of the current page at desktop and phone sizes: `<name>-desktop.png`, `<name>-phone.png`. */
export async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  // From the top: a page scrolled down would photograph the phone's sticky bar over its middle.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

/**
 * How many pixels the page is wider than a 375 px phone screen (0 when nothing scrolls
 * sideways): the document's scroll width against the viewport, measured at phone size.
 */
export async function phoneOverflow(page: Page): Promise<{ over: number; widest: string }> {
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(100);
  // A string, not a function: tsx would wrap named helpers in `__name`, unknown in the page.
  const r = (await page.evaluate(`(() => {
    const over = document.documentElement.scrollWidth - window.innerWidth;
    // The element reaching furthest right, outside any scrolling box, names the culprit.
    let widest = '';
    let right = window.innerWidth;
    for (const el of document.querySelectorAll('body *')) {
      let scrolled = false;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
        if (getComputedStyle(a).overflowX !== 'visible') scrolled = true;
      if (scrolled) continue;
      const box = el.getBoundingClientRect();
      if (box.right > right + 0.5) {
        right = box.right;
        widest = el.tagName.toLowerCase() + '.' + String(el.className) + ' (right edge ' + Math.round(box.right) + ' px): ' + (el.textContent || '').slice(0, 60);
      }
    }
    return { over: Math.max(0, over), widest };
  })()`)) as { over: number; widest: string };
  await page.setViewportSize(DESKTOP);
  return r;
}

/** Replaces a CodeMirror editor's text the way a person would: select all, type. */
export async function typeInEditor(page: Page, editorScope: string, text: string): Promise<void> {
  const content = page.locator(`${editorScope} .cm-content`).first();
  await content.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}
