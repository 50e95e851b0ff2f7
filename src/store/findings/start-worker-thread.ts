import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on a module beside the caller's (`import.meta.url` of the caller plus a
 * base name). Built code runs the `.js` file; under tsx or vitest the sources are TypeScript, and a
 * thread does not inherit the parent's loader, so it registers tsx's loader before importing.
 */
export function startWorkerThread(
  callerUrl: string,
  baseName: string,
  workerData: unknown,
  resourceLimits?: { maxYoungGenerationSizeMb?: number },
): Worker {
  const limits = resourceLimits ? { resourceLimits } : {};
  if (!callerUrl.endsWith('.ts'))
    return new Worker(new URL(`./${baseName}.js`, callerUrl), { workerData, ...limits });
  const entry = new URL(`./${baseName}.ts`, callerUrl).href;
  const tsxApi = pathToFileURL(
    createRequire(callerUrl)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData, ...limits });
}
