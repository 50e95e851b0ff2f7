import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The console is built into dist/web, beside the compiled server, which serves it at `/`
 * (src/api/web-app.ts, docs/web-app.md). `vite dev` proxies the API to a running `mdec serve`.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    sourcemap: false,
  },
  server: {
    proxy: { '/api': process.env.MDEC_API_URL ?? 'http://127.0.0.1:8080' },
  },
});
