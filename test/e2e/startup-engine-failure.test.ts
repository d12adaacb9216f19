// The embedded engine failing to load (its model files missing or broken): Iris says so in a
// line after the banner, keeps serving the configured upstream models, and answers the
// engine's model with a 503. The failure is made with a module hook that makes the workers'
// model loading throw.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai-upstream.ts';
import { BREAK_ENGINE } from '../support/break-engine.ts';
import { cleanEnv, MAIN, REPO, startMain, until } from '../support/run-main.ts';

const KEY = 'sk-engine-failure-key-123';

describe('the engine fails to load', () => {
  let upstream: FakeOpenAI;
  let dir: string;
  before(async () => {
    upstream = await startFakeOpenAI();
    dir = mkdtempSync(join(tmpdir(), 'iris-engine-fail-'));
  });
  after(async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says so after the banner, serves the upstream models, and answers the engine model with 503', async () => {
    const config = join(dir, 'iris.yaml');
    writeFileSync(config, ['providers:', `  up: {type: openai, base_url: "${upstream.url}"}`, 'models:', '  - {name: gpt-4o-mini, provider: up}', ''].join('\n'));
    const iris = await startMain(cleanEnv({ IRIS_CONFIG: config, IRIS_DATA_DIR: join(dir, 'data'), IRIS_API_KEYS: KEY }), REPO, ['--import', BREAK_ENGINE, MAIN]);
    try {
      await until(() => /failed to load/.test(iris.stderr()), () => iris.stderr(), 15_000);
      assert.match(iris.stderr(), /^iris: Image-Recognition failed to load \(model files missing \(test\)\): its requests get 503; the other models are served$/m);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(iris.proc.exitCode, null, `still running:\n${iris.stderr()}`);
      const ask = (model: string) =>
        fetch(`${iris.origin}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] }),
        });
      assert.equal((await ask('gpt-4o-mini')).status, 200);
      const engine = await ask('Image-Recognition');
      assert.equal(engine.status, 503);
      assert.equal(((await engine.json()) as { error: { code: string } }).error.code, 'engine_unavailable');
      // Not 'starting' for ever: the engine will never load, and the upstream models serve.
      const health = await fetch(`${iris.origin}/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), {
        status: 'degraded',
        providers: [
          { id: 'engine', type: 'local', ready: false, error: 'model files missing (test)' },
          { id: 'up', type: 'openai', ready: true },
        ],
      });
    } finally {
      assert.equal(await iris.stop(), 0);
    }
  });

  it('with nothing else to serve, /health says failed (503), not starting', async () => {
    const iris = await startMain(cleanEnv({ IRIS_DATA_DIR: join(dir, 'data-alone'), IRIS_API_KEYS: KEY }), REPO, ['--import', BREAK_ENGINE, MAIN]);
    try {
      await until(() => /failed to load/.test(iris.stderr()), () => iris.stderr(), 15_000);
      assert.match(iris.stderr(), /^iris: Image-Recognition failed to load \(model files missing \(test\)\): its requests get 503$/m);
      const health = await fetch(`${iris.origin}/health`);
      assert.equal(health.status, 503);
      assert.deepEqual(await health.json(), { status: 'failed', providers: [{ id: 'engine', type: 'local', ready: false, error: 'model files missing (test)' }] });
    } finally {
      assert.equal(await iris.stop(), 0);
    }
  });
});
