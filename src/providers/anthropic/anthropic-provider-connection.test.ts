import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { callContext, drain } from '../../../test/support/provider-on-fake-upstream.ts';
import { providerConfigSchema } from '../../config/providers-config.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import { createAnthropicProvider, type AnthropicProviderConfig } from './anthropic-provider.ts';

// The provider against a bare HTTP server on loopback: what it does with the connection.

let connections = 0;
const sse = (event: string, data: object) => `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`;
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const events = [
    sse('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } }),
    sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi' } }),
    sse('content_block_stop', { index: 0 }),
    sse('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }),
    sse('message_stop', {}),
  ];
  // As most servers do, the chunked body ends in a write of its own after the last event.
  res.write(events.join(''), () => setTimeout(() => res.end(), 5));
});
server.on('connection', () => connections++);
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const config = providerConfigSchema.parse({ type: 'anthropic', base_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, api_key: 'k' });
const provider = createAnthropicProvider('claude', config as AnthropicProviderConfig);
after(async () => {
  await provider.close?.();
  server.closeAllConnections();
  server.close();
});

test('streams one after another share one keep-alive connection, though each body ends a moment after message_stop', async () => {
  const request = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }], stream: true } as ChatCompletionRequest;
  for (let i = 0; i < 3; i++) {
    const chunks = await drain(provider.stream(request, callContext()));
    assert.equal(chunks.find((c) => c.choices[0]?.delta.content)?.choices[0].delta.content, 'Hi');
    assert.equal(chunks.at(-1)!.usage?.completion_tokens, 2);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(connections, 1);
});
