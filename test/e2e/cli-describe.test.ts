// `iris describe` as a person runs it (the launcher, the embedded engine, offline): the
// answer for each image in the order given, JSON Lines with --json, and a file that cannot
// be read named on stderr without stopping the others.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage } from '../../src/images/testing/test-images.ts';
import { cleanEnv, LAUNCHER, REPO, run } from '../support/run-main.ts';

describe('iris describe', () => {
  let dir: string;
  let wide: string;
  let tall: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iris-describe-'));
    wide = join(dir, 'wide.png');
    tall = join(dir, 'tall.jpg');
    writeFileSync(wide, await makeImage('png', 320, 200));
    writeFileSync(tall, await makeImage('jpeg', 150, 300, { noise: true }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const describeImages = async (...args: string[]) => {
    const { out, exited } = run(cleanEnv({}), REPO, [LAUNCHER, 'describe', '--no-progress', '--threads', '1', ...args]);
    return { code: await exited, ...out };
  };

  it('--json prints one JSON object per line and image, in the order given', async () => {
    const { code, stdout, stderr } = await describeImages('--json', wide, tall);
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, stdout);
    const [first, second] = lines.map((line) => JSON.parse(line) as { source: string; answer: string; images: { width: number; height: number; format: string }[] });
    assert.equal(first.source, wide);
    assert.equal(second.source, tall);
    assert.deepEqual([first.images[0].width, first.images[0].height, first.images[0].format], [320, 200, 'png']);
    assert.deepEqual([second.images[0].width, second.images[0].height, second.images[0].format], [150, 300, 'jpeg']);
    assert.match(first.answer, /320×200/);
  });

  it('names a file it cannot read on stderr, describes the rest, and exits 1', async () => {
    const missing = join(dir, 'missing.png');
    const { code, stdout, stderr } = await describeImages(missing, wide);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`iris: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*no such file`, 'i'));
    assert.match(stdout, new RegExp(`== ${wide.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ==\\n.*320×200`));
  });
});
