import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';

// A production install (`npm ci --omit=dev`, as a container build does it) gets `dependencies`
// only. Whatever the server loads at run time must be there, or it starts on one machine and
// not on the next.

const ROOT = join(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Files the server runs: src/ and bin/, without tests and test helpers. */
function runtimeFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => !path.split('/').includes('testing'));
}

/** Bare package names a file loads at run time (type-only imports are erased). */
function packagesLoaded(source: string): string[] {
  const specifiers = [
    ...source.matchAll(/^\s*import\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...source.matchAll(/\brequire(?:\.resolve)?\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/'));
}

test('every package the server loads at run time is a dependency, not a devDependency', () => {
  const files = [...runtimeFiles('src'), ...runtimeFiles('bin')];
  assert.ok(files.length > 50, 'found the source files');
  const missing: string[] = [];
  for (const file of files) {
    for (const name of packagesLoaded(readFileSync(file, 'utf8'))) {
      if (!(name in manifest.dependencies)) missing.push(`${name} (${file.slice(ROOT.length + 1)})`);
    }
  }
  assert.deepEqual(missing, []);
});

test('the Node that `npm start` runs on is installed with the dependencies', () => {
  // The start script runs `node` from node_modules/.bin: without the `node` package it would be
  // whatever Node the machine has, which may not run TypeScript or know the script's flags.
  assert.match(manifest.scripts.start, /\bnode\b.*src\/main\.ts/);
  assert.ok('node' in manifest.dependencies, 'the `node` package is in dependencies');
  assert.ok(Number(/\d+/.exec(manifest.dependencies.node)?.[0]) >= 24, 'and it pins Node 24 or later');
});
