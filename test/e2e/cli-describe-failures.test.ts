// `iris describe` when things go wrong, as a person meets it: inputs that cannot be read or
// fetched (each named with a plain reason, the rest still described, status 1), bad options
// (one line, status 2), inputs too big to hold, many inputs at once, and Ctrl-C. Images are
// served from 127.0.0.1 only.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage } from '../../src/images/testing/test-images.ts';
import { cleanEnv, hasCommand, LAUNCHER, REPO, run } from '../support/run-main.ts';
import { BREAK_ENGINE } from '../support/break-engine.ts';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const hasScript = hasCommand('script');

describe('iris describe, when inputs fail', () => {
  let dir: string;
  let png: Buffer;
  let good: string;
  let server: Server;
  let origin: string;
  /** Requests to /slow/… being answered right now, and the most there were at once. */
  const slow = { now: 0, most: 0 };
  /** Bytes /endless wrote before the client went away. */
  let endlessSent = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iris-describe-fail-'));
    png = await makeImage('png', 64, 48);
    good = join(dir, 'good.png');
    writeFileSync(good, png);
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      if (path === '/red.png') return void res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      if (path === '/missing.png') return void res.writeHead(404).end('not here');
      if (path === '/loop.png') return void res.writeHead(302, { location: '/loop.png' }).end();
      if (path === '/hang.png') return; // never answers
      if (path.startsWith('/slow/')) {
        slow.now++;
        slow.most = Math.max(slow.most, slow.now);
        setTimeout(() => {
          slow.now--;
          res.writeHead(200, { 'content-type': 'image/png' }).end(png);
        }, 150);
        return;
      }
      if (path === '/endless') {
        // No Content-Length: only counting while reading can stop it.
        res.writeHead(200, { 'content-type': 'image/png' });
        const chunk = Buffer.alloc(1 << 20);
        const pump = () => {
          while (!res.destroyed && endlessSent < 400 << 20) {
            endlessSent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => undefined);
        return pump();
      }
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const iris = async (...args: string[]) => {
    const { out, exited } = run(cleanEnv({}), REPO, [LAUNCHER, 'describe', '--threads', '1', ...args]);
    return { code: await exited, ...out };
  };

  it('names a directory, a non-image and a missing file each with a plain reason, describes the good one, exits 1', async () => {
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not an image\n');
    const missing = join(dir, 'nope.png');
    const { code, stdout, stderr } = await iris(folder, text, good, missing);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`^iris: ${escape(folder)}: is a directory, not an image$`, 'm'));
    assert.match(stderr, new RegExp(`^iris: ${escape(text)}: .*could not be decoded`, 'm'));
    assert.match(stderr, new RegExp(`^iris: ${escape(missing)}: no such file$`, 'm'));
    assert.match(stdout, new RegExp(`== ${escape(good)} ==\\n.*64×48`));
    assert.doesNotMatch(stderr, /EISDIR|ENOENT/, 'no error codes in place of words');
  });

  it('--json writes a line for every image: its findings, or what went wrong', async () => {
    const missing = join(dir, 'gone.png');
    const { code, stdout } = await iris('--json', good, missing);
    assert.equal(code, 1);
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { source: string; error?: string; images?: unknown[] });
    assert.equal(lines.length, 2, stdout);
    assert.equal(lines[0].source, good);
    assert.ok(lines[0].images);
    assert.deepEqual(lines[1], { source: missing, error: 'no such file' });
  });

  it('says why a URL failed: its status, a refused connection, a redirect loop', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const { code, stdout, stderr } = await iris(`${origin}/missing.png`, `http://127.0.0.1:${closed}/x.png`, `${origin}/loop.png`, 'ftp://127.0.0.1/cat.png', `${origin}/red.png`);
    assert.equal(code, 1);
    assert.match(stderr, /^iris: ftp:\/\/127\.0\.0\.1\/cat\.png: only http and https URLs are fetched$/m);
    assert.match(stderr, new RegExp(`^iris: ${escape(origin)}/missing\\.png: HTTP 404 Not Found$`, 'm'));
    assert.match(stderr, new RegExp(`^iris: http://127\\.0\\.0\\.1:${closed}/x\\.png: .*ECONNREFUSED`, 'm'));
    assert.match(stderr, new RegExp(`^iris: ${escape(origin)}/loop\\.png: .*redirect`, 'mi'));
    assert.doesNotMatch(stderr, /fetch failed/, 'the reason, not undici\'s wrapper');
    assert.match(stdout, /64×48/);
  });

  it('stops reading a URL once it outgrows the limit, and refuses a huge file without reading it', async () => {
    const huge = join(dir, 'huge.tif');
    writeFileSync(huge, '');
    truncateSync(huge, 3 * 1024 ** 3); // sparse: 3 GB on paper, nothing on disk
    endlessSent = 0;
    const { code, stderr } = await iris(`${origin}/endless`, huge);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`^iris: ${escape(origin)}/endless: larger than 50 MB$`, 'm'));
    assert.match(stderr, new RegExp(`^iris: ${escape(huge)}: 3221\\.2 MB, larger than 50 MB$`, 'm'));
    assert.ok(endlessSent < 200 << 20, `the client read on to ${endlessSent >> 20} MiB`);
  });

  it('reads and holds only a few images ahead of the engine, not every input at once', async () => {
    slow.most = 0;
    const urls = Array.from({ length: 12 }, (_, i) => `${origin}/slow/${i}.png`);
    const { code, stderr } = await iris('--json', ...urls);
    assert.equal(code, 0, stderr);
    assert.ok(slow.most <= 4, `${slow.most} fetched at once with --threads 1`);
  });

  it('stops quietly when its reader goes away (| head -1), as cat would', async () => {
    const proc = spawn(process.execPath, [LAUNCHER, 'describe', '--json', '--threads', '1', good, good, good, good], { cwd: REPO, env: cleanEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // Like head -1: read the first line, then close the pipe.
    proc.stdout.once('data', () => proc.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => proc.once('close', resolve));
    assert.equal(stderr, '', 'no EPIPE stack');
    assert.equal(code, 141);
  });

  it('reads the image from stdin for -', async () => {
    const proc = spawn(process.execPath, [LAUNCHER, 'describe', '--threads', '1', '-'], { cwd: REPO, env: cleanEnv({}), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    proc.stdin.end(png);
    const code = await new Promise<number | null>((resolve) => proc.once('close', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /64×48/);
  });

  it('an engine that cannot start ends the run in one line, exit 1', async () => {
    const { out, exited } = run(cleanEnv({}), REPO, ['--import', BREAK_ENGINE, LAUNCHER, 'describe', '--threads', '2', good, good]);
    assert.equal(await exited, 1, out.stderr);
    assert.equal(out.stderr, 'iris: the recognition engine failed to start: model files missing (test)\n');
    assert.equal(out.stdout, '');
  });

  describe('options', { concurrency: true }, () => {
    it('refuses --threads that is not a positive whole number, empty included', async () => {
      for (const threads of ['', '0', '1.5', 'two']) {
        const { code, stderr } = await iris('--threads', threads, good);
        assert.equal(code, 2, `--threads "${threads}"`);
        assert.equal(stderr, 'iris describe: --threads takes a positive whole number\n');
      }
    });

    it('an unknown option or command: one line saying so, one saying where help is, status 2', async () => {
      const option = await iris('--bogus', good);
      assert.equal(option.code, 2);
      assert.match(option.stderr, /^iris describe: Unknown option '--bogus'/);
      assert.match(option.stderr, /\nRun "iris --help" for the commands and their options\.\n$/);
      assert.equal(option.stderr.trim().split('\n').length, 2, option.stderr);

      const { out, exited } = run(cleanEnv({}), REPO, [LAUNCHER, 'descibe', good]);
      assert.equal(await exited, 2);
      assert.equal(out.stderr, 'iris: unknown command "descibe" (commands: describe, serve, help)\nRun "iris --help" for the commands and their options.\n');
    });
  });

  describe('Ctrl-C', () => {
    it('prints what was described, names what was not, and exits 130', async () => {
      const { proc, out, exited } = run(cleanEnv({}), REPO, [LAUNCHER, 'describe', '--threads', '1', good, `${origin}/hang.png`]);
      const deadline = performance.now() + 20_000;
      while (!/64×48/.test(out.stdout)) {
        assert.ok(performance.now() < deadline, `no answer for the good image:\n${out.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      proc.kill('SIGINT');
      assert.equal(await exited, 130);
      assert.match(out.stdout, new RegExp(`== ${escape(good)} ==\\n.*64×48`));
      assert.match(out.stderr, /^iris: interrupted: 1 of 2 images not described$/m);
    });

    it('on a terminal, gives the cursor back and prints what the progress bar held', { skip: !hasScript && 'needs script(1)' }, async () => {
      // script(1) runs the command on a terminal; timeout sends the Ctrl-C once the good image is done.
      const command = `timeout --preserve-status -s INT 8 '${process.execPath}' '${LAUNCHER}' describe --threads 1 '${good}' '${origin}/hang.png'; echo "status $?"`;
      const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
        const proc = spawn('script', ['-qec', command, '/dev/null'], { cwd: REPO, env: cleanEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
        let text = '';
        proc.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
        proc.once('error', reject);
        proc.once('close', () => resolve({ stdout: text }));
      });
      assert.match(stdout, /\x1b\[\?25l/, 'the bar hid the cursor');
      assert.ok(stdout.lastIndexOf('\x1b[?25h') > stdout.lastIndexOf('\x1b[?25l'), 'and showed it again');
      assert.match(stdout, /64×48/);
      assert.match(stdout, /interrupted: 1 of 2 images not described/);
      assert.match(stdout, /status 130/);
    });
  });
});
