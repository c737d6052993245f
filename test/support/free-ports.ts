import { type AddressInfo, createServer, type Server } from 'node:net';

// Child servers take their ports on the command line or in the environment, so the test picks free ones up front.

/** `count` distinct loopback ports that were free a moment ago (all held at once, so no two are the same). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<Server>((ok) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => ok(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  return ports;
}
