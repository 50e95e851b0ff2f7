import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';

/** A port on 127.0.0.1 where nothing listens: bound once, then closed, so a connect is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Something that listens, on a loopback port, and can be closed. */
export interface LocalServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** A server that accepts connections and never sends a byte (the client must time out). */
export async function startSilentServer(): Promise<LocalServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  return listen(server, sockets);
}

/**
 * A tiny HTTP proxy that refuses every tunnel and request: `407` asks for authentication, another
 * status stands for a proxy that will not reach the host, `close` drops the connection.
 */
export async function startRefusingProxy(answer: 407 | 403 | 502 | 'close'): Promise<LocalServer> {
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    if (answer === 'close') {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer, answer === 407 ? { 'proxy-authenticate': 'Basic realm="corp"' } : {});
    res.end();
  });
  server.on('connect', (_req, socket: Socket) => {
    socket.on('error', () => {});
    if (answer === 'close') {
      socket.destroy();
      return;
    }
    const reason = answer === 407 ? 'Proxy Authentication Required' : 'Refused';
    socket.end(
      `HTTP/1.1 ${answer} ${reason}\r\n${answer === 407 ? 'Proxy-Authenticate: Basic realm="corp"\r\n' : ''}Content-Length: 0\r\n\r\n`,
    );
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return listen(server as unknown as Server, sockets);
}

async function listen(server: Server, sockets: Set<Socket>): Promise<LocalServer> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A host name that never resolves: `.invalid` is reserved for exactly that. */
export const UNRESOLVABLE_HOST = 'api.mdec-test.invalid';
