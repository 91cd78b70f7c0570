/**
 * Every relative link in README.md and docs/ must work for someone who got
 * seqline from npm: the target exists and is in the tarball (`files` in
 * package.json), and the package names its repository, so npm's README page
 * rewrites the links to it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** The files `npm pack` would put in the tarball, relative to the root. */
const packed = new Set<string>(
  JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
    }),
  )[0].files.map((file: { path: string }) => file.path),
);

function markdownFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** `[text](target)` links outside code fences, with their line. */
function links(markdown: string): { target: string; line: number }[] {
  const found: { target: string; line: number }[] = [];
  let fenced = false;
  markdown.split('\n').forEach((text, index) => {
    if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
    if (fenced) return;
    for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      found.push({ target: match[1]!, line: index + 1 });
    }
  });
  return found;
}

describe('links in the published docs', () => {
  it('the package names its repository, homepage and issue tracker', () => {
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\/\S+\.git$/);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs?.url).toMatch(/^https:\/\//);
  });

  const documents = ['README.md', ...markdownFiles('docs')];
  it.each(documents)('%s: every relative link points at a file in the npm tarball', (document) => {
    expect(packed.has(document), `${document} itself is not packed`).toBe(true);
    const broken: string[] = [];
    for (const { target, line } of links(readFileSync(join(root, document), 'utf8'))) {
      if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
      const path = normalize(join(dirname(document), decodeURI(target.split('#')[0]!)));
      const rel = relative(root, join(root, path));
      const inTarball =
        packed.has(rel) ||
        [...packed].some((file) => file.startsWith(`${rel.replace(/\/$/, '')}/`));
      if (!existsSync(join(root, path)) || !inTarball) {
        broken.push(
          `${document}:${line} → ${target} (${existsSync(join(root, path)) ? 'not in the npm tarball' : 'missing'})`,
        );
      }
    }
    expect(broken).toEqual([]);
  });
});
