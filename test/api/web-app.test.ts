import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWebApp } from '../../src/api/web-app.js';

/** The console's files and its address fallback, over a folder shaped like a build (dist/web). */
describe('serving the web console', () => {
  let base: string;
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'mdec-webapp-'));
    dir = join(base, 'web');
    mkdirSync(dir);
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(base, 'outside-the-console.txt'), 'secret');
    app = Fastify();
    app.get('/api/known', async () => ({ ok: true }));
    app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: { code: 'not-found' } }));
    await registerWebApp(app, `${dir}/`);
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('answers page addresses with index.html and assets as files cached for good', async () => {
    for (const url of ['/', '/hosts/12', '/connectors/lab/edit?x=1']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.body).toContain('<title>console</title>');
    }
    const asset = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log(1)');
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('leaves the API its own answers, JSON 404 included, and never serves outside its folder', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/known' })).json()).toEqual({ ok: true });
    const unknown = await app.inject({ method: 'GET', url: '/api/unknown' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: { code: 'not-found' } });
    expect((await app.inject({ method: 'POST', url: '/hosts' })).statusCode).toBe(404);
    for (const url of [
      '/../outside-the-console.txt',
      '/%2e%2e/outside-the-console.txt',
      '/assets/../../outside-the-console.txt',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.body, url).not.toContain('secret');
    }
  });

  it('is the API alone when no console was built', async () => {
    const bare = Fastify();
    await registerWebApp(bare, join(dir, 'no-such-build'));
    await bare.ready();
    expect((await bare.inject({ method: 'GET', url: '/hosts' })).statusCode).toBe(404);
    await bare.close();
  });
});
