import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';

/** A CONNECT proxy that sends every tunnel to one local port, whatever host it names. */
export interface RedirectingProxy {
  url: string;
  /** `host:port` of each tunnel asked for, in order. */
  tunnels: string[];
  close(): Promise<void>;
}

/**
 * Stands in for DNS: a client told to use this proxy for `https://eu.api.security.microsoft.com`
 * reaches the simulator on `targetPort` instead, and the simulator sees the host the client meant
 * (in TLS and in the `Host` header), so tests can check which of Microsoft's hosts a client chose.
 */
export async function startRedirectingProxy(targetPort: number): Promise<RedirectingProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on('connect', (req, client: Socket) => {
    tunnels.push(req.url ?? '');
    const upstream = connect(targetPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
