// GET /v1/models, GET /v1/models/:id, and /health (200 when ready, 503 while a provider loads).

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { ApiKeys } from '../../src/access/api-keys.ts';
import { ChatService } from '../../src/chat/chat-service.ts';
import { ModelRegistry } from '../../src/chat/model-registry.ts';
import { buildApp } from '../../src/http/app.ts';
import { imagesConfigSchema } from '../../src/config/images-config.ts';
import { createImagePipeline } from '../../src/images/create-image-pipeline.ts';
import type { Provider } from '../../src/providers/provider.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { assertErrorResponse, assertModelList } from '../support/openai-schemas.ts';
import { startStack, type Stack } from './e2e-setup.ts';

describe('models', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('lists the configured models in OpenAI list shape (SDK and raw)', async () => {
    const page = await stack.iris.client.models.list();
    assert.deepEqual(page.data.map((m) => m.id), ['gpt-4o-mini', 'vision']);
    const res = await fetch(`${stack.iris.baseURL}/models`, { headers: { authorization: `Bearer ${stack.iris.apiKey}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { object: string; data: { id: string; object: string; created: number; owned_by: string }[] };
    assertModelList(body);
    assert.equal(body.object, 'list');
    for (const model of body.data) {
      assert.equal(model.object, 'model');
      assert.equal(model.owned_by, 'fake');
      assert.ok(Number.isInteger(model.created) && Math.abs(model.created - Date.now() / 1000) < 600);
    }
  });

  it('retrieves one model by the name clients use, not the upstream id', async () => {
    const model = await stack.iris.client.models.retrieve('vision');
    assert.deepEqual({ id: model.id, object: model.object, owned_by: model.owned_by }, { id: 'vision', object: 'model', owned_by: 'fake' });
    await assert.rejects(stack.iris.client.models.retrieve('gpt-4o'), (err: unknown) => {
      assert.ok(err instanceof OpenAI.NotFoundError);
      assert.equal(err.code, 'model_not_found');
      return true;
    });
    const res = await fetch(`${stack.iris.baseURL}/models/nope`, { headers: { authorization: `Bearer ${stack.iris.apiKey}` } });
    assert.equal(res.status, 404);
    assertErrorResponse(await res.json());
  });

  it('retrieves a model whose name holds slashes (a Hugging Face id), sent raw or encoded, and a long one', async () => {
    const names = ['meta-llama/Llama-3.2-11B-Vision-Instruct', 'accounts/fireworks/models/llama-v3p2-90b-vision-instruct', `org/${'m'.repeat(150)}`];
    const slashed = await startStack({ config: { models: names.map((name) => ({ name, provider: 'fake' })) } });
    try {
      const headers = { authorization: `Bearer ${slashed.iris.apiKey}` };
      for (const name of names) {
        for (const path of [name, encodeURIComponent(name), `${name}/`]) {
          const res = await fetch(`${slashed.iris.baseURL}/models/${path}`, { headers });
          const text = await res.text();
          assert.equal(res.status, 200, `${path}: ${text}`);
          assert.deepEqual(JSON.parse(text), { id: name, object: 'model', created: JSON.parse(text).created, owned_by: 'fake' });
        }
        assert.equal((await slashed.iris.client.models.retrieve(name)).id, name);
      }
      for (const missing of ['meta-llama/nope', 'meta-llama', `x${'y'.repeat(500)}`]) {
        const res = await fetch(`${slashed.iris.baseURL}/models/${missing}`, { headers });
        const body = await res.json();
        assert.equal(res.status, 404, missing);
        assertErrorResponse(body);
        assert.equal((body as { error: { code: string } }).error.code, 'model_not_found', missing);
      }
      const list = await fetch(`${slashed.iris.baseURL}/models/`, { headers });
      assert.deepEqual(((await list.json()) as { data: { id: string }[] }).data.map((m) => m.id), names, 'a trailing slash is still the list');
    } finally {
      await slashed.close();
    }
  });

  it('/health is 200 with every provider ready, with no key', async () => {
    const res = await fetch(`${stack.iris.origin}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok', providers: [{ id: 'fake', type: 'openai', ready: true }] });
  });

  it('answers every response with an x-request-id', async () => {
    const res = await fetch(`${stack.iris.origin}/health`);
    assert.match(res.headers.get('x-request-id') ?? '', /^req_[0-9a-f]{24}$/);
  });
});

describe('/health while a provider is loading', () => {
  // The real app and routes, with a provider that reports itself not ready yet (as the engine
  // does while its models load).
  let ready = false;
  let release: () => void = () => {};
  const whenReady = new Promise<void>((resolve) => (release = resolve));
  const loading: Provider = {
    id: 'slow',
    type: 'local',
    imageLimits: { acceptsUrls: false, formats: ['png'], maxBytes: 1_000_000 },
    isReady: () => ready,
    whenReady: () => whenReady,
    async complete(request) {
      return {
        id: 'chatcmpl-slow', object: 'chat.completion', created: 1_700_000_000, model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'loaded', refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      };
    },
    async *stream() {},
  };
  const models = new ModelRegistry();
  models.add({ name: 'slow-model', provider: loading, upstreamModel: 'slow-model', vision: true, created: 1_700_000_000, ownedBy: 'iris' });
  const log = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));
  const images = createImagePipeline(imagesConfigSchema.parse({}), log);
  const app = buildApp({
    log,
    chat: new ChatService({ models, images }),
    models,
    keys: ApiKeys.fromPlain(['sk-health-test-key']),
    maxBodyBytes: 10_000,
    inflightBodyBytes: 1_000_000,
    corsOrigins: [],
    clientReadTimeoutMs: 60_000,
    requestTimeoutMs: 300_000,
  });
  let origin: string;
  before(async () => {
    origin = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app.close();
    await images.close();
  });

  it('is 503 while loading, a request waits for it, then 200', async () => {
    const res = await fetch(`${origin}/health`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'starting', providers: [{ id: 'slow', type: 'local', ready: false }] });

    const client = new OpenAI({ baseURL: `${origin}/v1`, apiKey: 'sk-health-test-key', maxRetries: 0 });
    let answered = false;
    const pending = client.chat.completions.create({ model: 'slow-model', messages: [{ role: 'user', content: 'x' }] }).then((c) => {
      answered = true;
      return c;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(answered, false, 'the request waits while the provider loads');
    ready = true;
    release();
    const completion = await pending;
    assert.equal(completion.choices[0].message.content, 'loaded');
    assert.equal(completion.model, 'slow-model');

    const after = await fetch(`${origin}/health`);
    assert.equal(after.status, 200);
    assert.equal(((await after.json()) as { status: string }).status, 'ok');
  });
});
