import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';

/** A local CONNECT proxy. */
export interface ConnectProxy {
  url: string;
  /** `host:port` of each tunnel asked for, in order. */
  tunnels: string[];
  close(): Promise<void>;
}

/**
 * A minimal CONNECT proxy that records its tunnels. Each goes to the host it names, or, given
 * `redirectToPort`, to that port on 127.0.0.1 whatever host it names: a stand-in for DNS, so a client
 * told to reach `https://eu.api.security.microsoft.com` reaches the simulator, which sees the host the
 * client meant (in TLS and in the `Host` header).
 */
export async function startConnectProxy(redirectToPort?: number): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on('connect', (req, client: Socket) => {
    tunnels.push(String(req.url));
    const [host, port] = String(req.url).split(':');
    const upstream = connect(redirectToPort ?? Number(port), redirectToPort ? '127.0.0.1' : host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
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
