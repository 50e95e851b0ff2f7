import { existsSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * Where `npm run build` puts the console (web/vite.config.ts): `dist/web` of the package, the same
 * folder whether this file runs compiled from dist/api or from src/api.
 */
export const WEB_APP_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** Paths that belong to the server: never answered with the console. */
const SERVER_PATHS = /^\/(api(\/|$)|healthz$|metrics$)/;

/**
 * Serves the console (docs/web-app.md) at `/`: its files as they are, and `index.html` for every other
 * GET outside the API, so a reloaded or shared address such as `/hosts/12` opens the page it names.
 * Unknown `/api/...` paths keep their JSON 404. Without a built console the server is the API alone.
 *
 * The console is public in the sense that its files hold no data; everything it shows comes from the
 * API, behind sign-in and roles.
 */
export async function registerWebApp(app: FastifyInstance, root = WEB_APP_ROOT): Promise<void> {
  if (!existsSync(join(root, 'index.html'))) return;
  // Loaded only here, so commands that never serve (every other mdec command) do not pay for it.
  const { default: fastifyStatic } = await import('@fastify/static');
  await app.register(fastifyStatic, { root, serve: false });
  app.addHook('onRequest', async (request, reply) => {
    // A registered route (every API route) answers for itself.
    if (request.routeOptions.url !== undefined) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    const path = decodeURIComponentSafe(request.url.split('?')[0] ?? '/');
    if (path === undefined || SERVER_PATHS.test(path)) return;
    const file = fileWithin(root, path);
    if (file?.startsWith(`assets${sep}`)) {
      // Built asset names carry a content hash: a new build has new names.
      return reply.sendFile(file, { maxAge: '365d', immutable: true });
    }
    if (file) return reply.sendFile(file, { maxAge: 0 });
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { maxAge: 0 });
  });
}

function decodeURIComponentSafe(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** The path of a file under root that `path` names, relative to root; undefined for anything else. */
function fileWithin(root: string, path: string): string | undefined {
  const relative = normalize(path).replace(/^([/\\])+/, '');
  if (relative === '' || relative.startsWith('..') || relative.includes('\0')) return undefined;
  const full = join(root, relative);
  if (!full.startsWith(root)) return undefined;
  try {
    return statSync(full).isFile() ? relative : undefined;
  } catch {
    return undefined;
  }
}
