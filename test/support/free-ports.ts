import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

// Child servers take their ports on the command line or in the environment, so the test picks free ones up front.
// A port the kernel hands out for port 0 lies in the ephemeral range, where the outgoing connections of every other
// test (to PostgreSQL, to test servers) also take their local ports: between the pick and the child's bind, one of
// them can take it. So the picks come from below that range, and are probed on 0.0.0.0, where the servers bind.

/** The lowest port the kernel uses for outgoing connections (Linux), else the IANA default. */
function ephemeralLow(): number {
  try {
    const low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0] ?? '', 10);
    return Number.isInteger(low) && low > 2048 ? low : 49152;
  } catch {
    return 49152;
  }
}

function tryListen(port: number): Promise<Server | undefined> {
  return new Promise((ok) => {
    const s = createServer();
    s.once('error', () => ok(undefined));
    s.listen(port, '0.0.0.0', () => ok(s));
  });
}

/** `count` distinct ports outside the ephemeral range that were free a moment ago (all held at once while picked). */
export async function freePorts(count: number): Promise<number[]> {
  const high = ephemeralLow() - 1;
  const low = Math.max(1024, high - 12_000);
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count; attempt += 1) {
      if (attempt > 1000) throw new Error(`no ${count} free ports found between ${low} and ${high}`);
      const port = low + Math.floor(Math.random() * (high - low + 1));
      if (ports.includes(port)) continue;
      const server = await tryListen(port);
      if (server === undefined) continue;
      held.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise((ok) => s.close(ok))));
  }
}
