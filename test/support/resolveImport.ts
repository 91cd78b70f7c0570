import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The source file a relative import names: `x.ts` / `x.tsx` as written, `x.ts`, `x.tsx`, or a folder's `x/index.ts`. */
export function resolveImport(base: string): string {
  if (base.endsWith('.ts') || base.endsWith('.tsx')) return base;
  for (const file of [`${base}.ts`, `${base}.tsx`]) if (existsSync(file)) return file;
  return join(base, 'index.ts');
}
