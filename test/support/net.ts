import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on an ephemeral loopback port and resolves with the port. */
export function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes a server, dropping keep-alive and upgraded sockets so it does not linger. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** A plain `http` server answering 200 "host" to everything it is handed. */
export function createHostServer(): Server {
  return createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('host');
  });
}
