// Runs `node src/main.ts` (or the launcher) as a person would, as a child process: its
// output, where it listens, and how it exits. For tests of start-up and shutdown.

import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
export const LAUNCHER = fileURLToPath(new URL('../../bin/iris.mjs', import.meta.url));
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface Started {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** e.g. http://127.0.0.1:43121 */
  origin: string;
  /** The exit code (null when killed by a signal), once the process is gone. */
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Only what Iris needs: no IRIS_* or PORT leaking in from the test runner. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...extra };
}

export function run(
  env: NodeJS.ProcessEnv,
  cwd: string,
  argv = [MAIN],
): { proc: ChildProcess; out: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  // 'close', not 'exit': only then has all the child wrote to its pipes been read.
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code, signal) => resolve(signal ? null : code)));
  return { proc, out, exited };
}

/** Starts Iris and resolves once the banner says where it listens. */
export async function startMain(env: NodeJS.ProcessEnv, cwd = REPO, argv = [MAIN]): Promise<Started> {
  const { proc, out, exited } = run(env, cwd, argv);
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 15 s:\n${out.stderr}\n${out.stdout}`)), 15_000);
    const check = () => {
      const match = /Iris is listening on (http:\/\/\S+)/.exec(out.stderr);
      // Wait for the whole banner (it ends with the SDK line).
      if (match && out.stderr.includes('OpenAI SDK:')) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    proc.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`iris exited (${code}) before listening:\n${out.stderr}\n${out.stdout}`));
    });
  });
  return {
    proc,
    origin,
    exited,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs Iris expecting it to refuse to start. */
export async function startFails(env: NodeJS.ProcessEnv, cwd = REPO): Promise<Exited> {
  const { proc, out, exited } = run(env, cwd);
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  const code = await exited;
  clearTimeout(timer);
  return { code, ...out };
}

/** Resolves once `condition` holds; fails with `message` (read then, if a function) after `timeoutMs`. */
export async function until(condition: () => boolean, message: string | (() => string), timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(typeof message === 'function' ? message() : message);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether `command --version` runs here (tests that need curl, script(1)… skip without it). */
export function hasCommand(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
