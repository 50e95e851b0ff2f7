import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import { EnvHttpProxyAgent, request } from 'undici';

const show = (label, e) => {
  const chain = [];
  let c = e;
  while (c) {
    chain.push({ name: c.name, code: c.code, msg: c.message, errors: c.errors?.map((x) => x.message) });
    c = c.cause;
  }
  console.log(label, JSON.stringify(chain));
};
const agent = new EnvHttpProxyAgent({ connect: { timeout: 500 }, headersTimeout: 500 });
let t = Date.now();
try {
  await request('http://127.0.0.1:1/x', { dispatcher: agent });
} catch (e) {
  show('refused', e);
}
try {
  await request('http://localhost:1/x', { dispatcher: agent });
} catch (e) {
  show('refused-localhost', e);
}
t = Date.now();
try {
  await request('https://api.example.invalid/x', { dispatcher: agent });
} catch (e) {
  show('dns ' + (Date.now() - t), e);
}
const hang = netServer((s) => {}).listen(0);
await new Promise((r) => hang.once('listening', r));
try {
  await request(`http://127.0.0.1:${hang.address().port}/x`, { dispatcher: agent });
} catch (e) {
  show('hang', e);
}
try {
  await request(`https://127.0.0.1:${hang.address().port}/x`, { dispatcher: agent });
} catch (e) {
  show('hang-tls', e);
}
const p407 = createServer((q, r) => {
  r.writeHead(407, { 'proxy-authenticate': 'Basic' });
  r.end();
});
p407.on('connect', (req, sock) => {
  sock.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
});
p407.listen(0);
await new Promise((r) => p407.once('listening', r));
const pa = new EnvHttpProxyAgent({
  httpProxy: `http://127.0.0.1:${p407.address().port}`,
  httpsProxy: `http://127.0.0.1:${p407.address().port}`,
});
try {
  const r = await request('https://api.example.com/x', { dispatcher: pa });
  console.log('proxy407 https status', r.statusCode);
} catch (e) {
  show('proxy407 https', e);
}
try {
  const r = await request('http://api.example.com/x', { dispatcher: pa });
  console.log('proxy407 http status', r.statusCode);
} catch (e) {
  show('proxy407 http', e);
}
const pr = new EnvHttpProxyAgent({ httpProxy: `http://127.0.0.1:1`, httpsProxy: `http://127.0.0.1:1` });
try {
  const r = await request('https://api.example.com/x', { dispatcher: pr });
} catch (e) {
  show('proxyrefused https', e);
}
try {
  const r = await request('http://api.example.com/x', { dispatcher: pr });
} catch (e) {
  show('proxyrefused http', e);
}
const pc = createServer((q, r) => {
  q.socket.destroy();
});
pc.on('connect', (req, sock) => sock.destroy());
pc.listen(0);
await new Promise((r) => pc.once('listening', r));
const pcl = new EnvHttpProxyAgent({
  httpProxy: `http://127.0.0.1:${pc.address().port}`,
  httpsProxy: `http://127.0.0.1:${pc.address().port}`,
});
try {
  const r = await request('https://api.example.com/x', { dispatcher: pcl });
} catch (e) {
  show('proxyclose https', e);
}
try {
  const r = await request('http://api.example.com/x', { dispatcher: pcl });
} catch (e) {
  show('proxyclose http', e);
}
process.exit(0);
