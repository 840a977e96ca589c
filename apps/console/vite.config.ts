import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the api under /console (CONSOLE_DIR); `pnpm --filter @parley/console dev` proxies the API to a running api.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/v1': process.env.PARLEY_BASE_URL ?? 'http://127.0.0.1:3000' } },
});
