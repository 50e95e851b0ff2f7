import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { ApiContext } from './api-context.js';
import { ApiError, asApiError, type ErrorDetail } from './api-error.js';
import { registerAuthentication } from './authenticate.js';
import { registerActionRoutes } from './routes/action-routes.js';
import { registerAuthRoutes } from './routes/auth-routes.js';
import { registerConnectorRoutes } from './routes/connector-routes.js';
import { registerDetailRoutes } from './routes/detail-routes.js';
import { registerListRoutes } from './routes/list-routes.js';
import { registerMappingRoutes } from './routes/mapping-routes.js';
import { registerRunRoutes } from './routes/run-routes.js';
import { registerScoringPreviewRoutes } from './routes/scoring-preview-routes.js';
import { registerStatsRoutes } from './routes/stats-routes.js';
import { registerSystemRoutes } from './routes/system-routes.js';
import { registerUserRoutes } from './routes/user-routes.js';
import { registerWebApp } from './web-app.js';

/** Request bodies are at most this large (connector settings, a scoring map as CSV). */
export const BODY_LIMIT = 1024 * 1024;

export interface BuildApiOptions {
  /** Fastify's logger settings; off by default (tests), `mdec serve` logs requests. */
  logger?: FastifyServerOptions['logger'];
  https?: { cert: Buffer; key: Buffer };
}

/**
 * The REST API of `mdec serve` (docs/api.md): every route validated by its zod schemas, described
 * by the OpenAPI document built from them, behind authentication and role checks.
 */
export async function buildApi(ctx: ApiContext, options: BuildApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // Request ids in logs, never secrets: the logger's serializers only log method, URL and status.
    ...(options.https ? { https: options.https } : {}),
  }) as unknown as FastifyInstance;
  // Scoring maps may be uploaded as CSV text.
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = errorResponse(err as FastifyError);
    if (status >= 500) request.log.error({ err }, 'request failed');
    if (status === 429 && err instanceof ApiError && err.details?.[0]?.path === 'retryAfter')
      void reply.header('retry-after', err.details[0].message);
    return reply.code(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: { code: 'not-found', message: `no route ${request.method} ${request.url.split('?')[0]}` },
    }),
  );

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet);
  // Login has its own throttle (login-throttle.ts); this only bounds what one address can send.
  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'mde-connector API', version: '1' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'mdec_session' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  ROUTES.set(app, routes);

  registerAuthentication(app, ctx);
  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.recordRequest(
      request.method,
      request.routeOptions.url ?? 'unknown',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });

  registerSystemRoutes(app, ctx);
  registerAuthRoutes(app, ctx);
  registerUserRoutes(app, ctx);
  registerListRoutes(app, ctx);
  registerDetailRoutes(app, ctx);
  registerConnectorRoutes(app, ctx);
  registerRunRoutes(app, ctx);
  registerActionRoutes(app, ctx);
  // What the web console needs beyond the routes above (docs/web-app.md).
  registerStatsRoutes(app, ctx);
  registerScoringPreviewRoutes(app, ctx);
  registerMappingRoutes(app, ctx);
  await registerWebApp(app);
  await app.ready();
  return app;
}

const ROUTES = new WeakMap<FastifyInstance, string[]>();

/** Every route of an app built by buildApi, as `METHOD /pattern` (for the OpenAPI coverage test). */
export function registeredRoutes(app: FastifyInstance): readonly string[] {
  return ROUTES.get(app) ?? [];
}

/** Every error as `{"error":{"code","message","details"?}}`; anything unexpected is a bare 500. */
function errorResponse(err: FastifyError): {
  status: number;
  body: { error: { code: string; message: string; details?: ErrorDetail[] } };
} {
  const apiError = asApiError(err);
  if (apiError) {
    const details = apiError.details?.filter((d) => d.path !== 'retryAfter');
    return {
      status: apiError.status,
      body: {
        error: { code: apiError.code, message: apiError.message, ...(details?.length ? { details } : {}) },
      },
    };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'request';
    const details = err.validation.map((v) => ({
      path: [where, ...v.instancePath.split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'is not valid',
    }));
    return {
      status: 400,
      body: {
        error: {
          code: 'bad-request',
          message: details.map((d) => `${d.path}: ${d.message}`).join('; '),
          details,
        },
      },
    };
  }
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500)
    return {
      status,
      body: {
        error: {
          code: status === 413 ? 'too-large' : status === 429 ? 'throttled' : 'bad-request',
          message: err.message,
        },
      },
    };
  return {
    status: 500,
    body: { error: { code: 'internal', message: 'internal error; see the server log' } },
  };
}
