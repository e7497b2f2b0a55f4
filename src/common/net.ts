/** Network helpers shared by the CLI, tests and benchmarks. */
import net from 'net';

/**
 * A TCP port on `host` that was free a moment ago: for servers that cannot bind port 0 and report the port back
 * (redis-server, HA ports next to OS-chosen broker ports, peers in benchmarks). Another process may take it first.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
