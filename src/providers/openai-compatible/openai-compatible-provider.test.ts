import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { callContext, drain } from '../../../test/support/provider-on-fake-upstream.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import { OpenAICompatibleProvider } from './openai-compatible-provider.ts';

// The provider against a bare HTTP server on loopback: what it does with the connection.

let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
let connections = 0;
const server = createServer((req, res) => handler(req, res));
server.on('connection', () => connections++);
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const provider = new OpenAICompatibleProvider('up', {
  type: 'openai',
  base_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
  timeout_ms: 5_000,
  max_connections: 256,
  headers: {},
});
after(async () => {
  await provider.close();
  server.closeAllConnections();
  server.close();
});

const request = { model: 'm', messages: [{ role: 'user', content: 'hi' }] } as ChatCompletionRequest;
const head = '"id":"chatcmpl-1","object":"chat.completion.chunk","created":1745000000,"model":"m"';

test('streams one after another share one keep-alive connection, though each body ends a moment after [DONE]', async () => {
  handler = (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // vLLM (uvicorn), like most servers, ends the chunked body in a write of its own after [DONE].
    res.write(`data: {${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`, () => setTimeout(() => res.end(), 5));
  };
  connections = 0;
  for (let i = 0; i < 3; i++) {
    const chunks = await drain(provider.stream(request, callContext()));
    assert.equal(chunks[0].choices[0].delta.content, 'Hi');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(connections, 1);
});

test('a server that ignores `stream` and answers JSON: its completion replayed as chunks, reasoning and refusal kept', async () => {
  handler = (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id":"chatcmpl-j","object":"chat.completion","created":1745000000,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Four.","reasoning_content":"Two and two.","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}');
  };
  const chunks = await drain(provider.stream(request, callContext()));
  // The role alone first, as OpenAI's streams open; then what the message says.
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
  assert.deepEqual(chunks[1].choices[0].delta, { content: 'Four.', reasoning_content: 'Two and two.' });
  assert.equal(chunks.at(-1)!.usage!.total_tokens, 7);
});
