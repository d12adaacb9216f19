#!/usr/bin/env node
// Launcher for `iris`: runs src/cli.ts on a Node that strips TypeScript types — this one if
// it can, otherwise the Node 24 the repo pins (node_modules/node). `iris serve` always runs
// in a child with exactly the environment and Node flags of `npm start` (package.json), so
// the server behaves and performs the same however it is started.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'src', 'cli.ts');
const args = process.argv.slice(2);

/** `exec env A=1 B=2 node --flag … src/main.ts` → its variables and its Node flags. */
function startScript() {
  const words = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start.trim().split(/\s+/);
  const env = {};
  let i = 0;
  while (words[i] === 'exec' || words[i] === 'env') i++;
  for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i]); i++) {
    const eq = words[i].indexOf('=');
    env[words[i].slice(0, eq)] = words[i].slice(eq + 1);
  }
  return { env, flags: words.slice(i + 1).filter((w) => w.startsWith('-')) };
}

function nodeBinary() {
  if (process.features?.typescript) return process.execPath;
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(pinned)) {
    console.error(`iris: Node ${process.versions.node} cannot run TypeScript and ${pinned} is missing; run npm install in ${root}.`);
    process.exit(1);
  }
  return pinned;
}

if (args[0] !== 'serve' && process.features?.typescript) {
  await import(cli);
} else {
  const { env, flags } = args[0] === 'serve' ? startScript() : { env: {}, flags: [] };
  // What the user set wins over the start script's defaults.
  const child = spawn(nodeBinary(), [...flags, cli, ...args], { stdio: 'inherit', env: { ...env, ...process.env } });
  // Whoever signals this launcher (a process manager, `timeout`, a shell) stops Iris as if it
  // had signalled Iris: the signal is passed on, and the launcher ends as the child did.
  const forward = (signal) => child.kill(signal);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, forward);
  child.on('exit', (code, signal) => {
    if (!signal) process.exit(code ?? 1);
    // Die of the same signal: with our handler still installed, raising it would only call it.
    for (const s of signals) process.off(s, forward);
    process.kill(process.pid, signal);
  });
}
