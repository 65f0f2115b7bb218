/**
 * @module test/harness/ports
 * Loopback ports for tests that must name a port before the process that binds it starts
 * (`verge up` and its children) or bind the same port twice (a control plane restarted on its
 * old address). Such ports are taken from below the kernel's ephemeral range: `listen(0)` and
 * every outbound connection draw from that range, so on a busy machine a port found free there
 * and closed is soon handed to another test's server or client socket (seen in CI as
 * EADDRINUSE). Below the range only other callers of this helper compete, and they start at
 * random places in it and check each port by binding it.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const FALLBACK_LOW = 32768;
/** The lowest port we use: well above the well-known and registered ports services listen on. */
const FLOOR = 20000;

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > FLOOR + 1000 ? low : FALLBACK_LOW;
  } catch {
    return FALLBACK_LOW;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** `n` distinct ports that were free on 127.0.0.1 a moment ago, outside the ephemeral range. */
export async function freePorts(n: number): Promise<number[]> {
  const high = ephemeralLow();
  const span = high - FLOOR;
  const out: number[] = [];
  let at = FLOOR + Math.floor(Math.random() * span);
  for (let tries = 0; out.length < n && tries < 2000; tries++) {
    at = FLOOR + ((at - FLOOR + 1 + Math.floor(Math.random() * 7)) % span);
    if (!out.includes(at) && (await bindable(at))) out.push(at);
  }
  if (out.length < n) throw new Error(`found only ${out.length} of ${n} free ports between ${FLOOR} and ${high}`);
  return out;
}
