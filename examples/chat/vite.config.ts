import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The UI imports seqline by its package name, as an app would. The names are resolved through the
// package's own "exports" map to the built files (npm run build), never to src/.
const packageRoot = new URL('../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', packageRoot), 'utf8')) as {
  name: string;
  exports: Record<string, string | { import?: { default?: string } }>;
};
const alias = Object.entries(manifest.exports).flatMap(([subpath, target]) => {
  const file = typeof target === 'string' ? target : target.import?.default;
  if (!file?.endsWith('.js')) return [];
  const name = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
  const escaped = name.replace(/[/.]/g, '\\$&');
  return [
    { find: new RegExp(`^${escaped}$`), replacement: fileURLToPath(new URL(file, packageRoot)) },
  ];
});

export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  plugins: [react()],
  resolve: { alias, dedupe: ['react', 'react-dom', '@tanstack/react-query'] },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
