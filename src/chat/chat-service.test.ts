import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { imagesConfigSchema } from '../config/images-config.ts';
import { createImagePipeline } from '../images/create-image-pipeline.ts';
import type { ChatCompletionRequest } from '../openai/types.ts';
import type { Provider } from '../providers/provider.ts';
import { createLogger } from '../telemetry/logger.ts';
import { ChatService } from './chat-service.ts';
import { ModelRegistry } from './model-registry.ts';

// The chat core with a provider that is still loading (as the embedded engine is while its
// models load) and never finishes: what a request waiting for it does.

const log = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));
const images = createImagePipeline(imagesConfigSchema.parse({}), log);
after(() => images.close());
let called = false;
const loading: Provider = {
  id: 'slow',
  type: 'local',
  imageLimits: { acceptsUrls: false, formats: ['png'], maxBytes: 1_000_000 },
  isReady: () => false,
  whenReady: () => new Promise<void>(() => {}),
  async complete() {
    called = true;
    throw new Error('not reached');
  },
  async *stream() {
    called = true;
  },
};
const models = new ModelRegistry();
models.add({ name: 'slow-model', provider: loading, upstreamModel: 'slow-model', vision: true, created: 1_700_000_000, ownedBy: 'iris' });
const chat = new ChatService({ models, images });
const request: ChatCompletionRequest = { model: 'slow-model', messages: [{ role: 'user', content: 'x' }] };

test('a client that leaves while the provider loads ends its request then, streamed or not', async () => {
  for (const run of [(ctx: Parameters<ChatService['complete']>[1]) => chat.complete(request, ctx), (ctx: Parameters<ChatService['complete']>[1]) => chat.stream(request, ctx).next()]) {
    const controller = new AbortController();
    const pending = run({ requestId: 'r', signal: controller.signal, log });
    setTimeout(() => controller.abort(new Error('client left')), 20);
    await assert.rejects(pending, /client left/);
  }
  assert.equal(called, false);
});
