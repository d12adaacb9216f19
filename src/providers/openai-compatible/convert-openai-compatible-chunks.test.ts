import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OpenAICompatibleChunks } from './convert-openai-compatible-chunks.ts';
import type { Fresh } from './convert-openai-compatible-response.ts';

const fresh = (): Fresh => {
  let n = 0;
  return { id: () => 'chatcmpl-new', callId: () => `call_${++n}`, now: () => 1_700_000_000 };
};
const parse = (text: string) => JSON.parse(text) as object;

describe('OpenAICompatibleChunks', () => {
  it('gives every chunk the first id and created, the object, and a choice index and delta', () => {
    const chunks = new OpenAICompatibleChunks(fresh());
    const first = chunks.convert(parse('{"id":"","model":"m","choices":[{"delta":{"content":"a"}}]}'));
    const second = chunks.convert(parse('{"id":"other","created":5,"model":"m","choices":[{"index":0,"finish_reason":"eos_token"}]}'));
    assert.deepEqual(first, { id: 'chatcmpl-new', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: 'a' }, finish_reason: null }] });
    assert.deepEqual(second, { id: 'chatcmpl-new', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    assert.equal(chunks.complete, true);
    assert.deepEqual(chunks.closing(), []);
  });

  it("takes no created of 0 (Azure's first chunk, its prompt filter results) for the stream's", () => {
    const chunks = new OpenAICompatibleChunks(fresh());
    const filter = chunks.convert(parse('{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}'));
    const next = chunks.convert(parse('{"choices":[{"index":0,"delta":{"role":"assistant","content":"a"},"finish_reason":null}],"created":1745000000,"id":"chatcmpl-az","model":"gpt-4o-2024-11-20","object":"chat.completion.chunk"}'));
    assert.deepEqual([filter.created, next.created], [1_700_000_000, 1_700_000_000]);
  });

  it("passes a custom tool's call deltas on as sent, numbered", () => {
    const chunks = new OpenAICompatibleChunks(fresh());
    const delta = (text: string) => chunks.convert(parse(text)).choices[0].delta.tool_calls;
    assert.deepEqual(delta('{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"custom","custom":{"name":"grep","input":"a"}}]}}]}'), [
      { index: 0, id: 'c1', type: 'custom', custom: { name: 'grep', input: 'a' } },
    ]);
    assert.deepEqual(delta('{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"type":"custom","custom":{"input":"b"}}]}}]}'), [{ index: 0, type: 'custom', custom: { input: 'b' } }]);
  });

  it('numbers index-less tool calls by id and sends id, type and name once', () => {
    const chunks = new OpenAICompatibleChunks(fresh());
    const delta = (text: string) => chunks.convert(parse(text)).choices[0].delta.tool_calls;
    assert.deepEqual(delta('{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"b","function":{"name":"g","arguments":{"x":1}}}]}}]}'), [
      { index: 0, id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } },
      { index: 1, id: 'b', type: 'function', function: { name: 'g', arguments: '{"x":1}' } },
    ]);
    assert.deepEqual(delta('{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"b","type":"function","index":1,"function":{"name":"g","arguments":""}}]}}]}'), [{ index: 1 }]);
    // Another call's id under a taken index is a new call; a call without an id gets one.
    assert.deepEqual(delta('{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"c","index":0,"function":{"name":"h","arguments":"1"}}]}}]}'), [
      { index: 2, id: 'c', type: 'function', function: { name: 'h', arguments: '1' } },
    ]);
    const other = new OpenAICompatibleChunks(fresh());
    assert.deepEqual(other.convert(parse('{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"name":"f","arguments":"{"}}]}}]}')).choices[0].delta.tool_calls, [
      { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{' } },
    ]);
    assert.deepEqual(other.convert(parse('{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"}"}}]}}]}')).choices[0].delta.tool_calls, [{ index: 0, function: { arguments: '}' } }]);
    assert.deepEqual(other.closing()[0].choices, [{ index: 0, delta: {}, finish_reason: 'tool_calls' }]);
  });

  it("records an incomplete finish, and leaves out an empty delta after a choice's finish", () => {
    const chunks = new OpenAICompatibleChunks(fresh());
    chunks.convert(parse('{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]}'));
    const usage = chunks.convert(parse('{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'));
    assert.deepEqual(usage.choices, []);
    const aborted = new OpenAICompatibleChunks(fresh());
    aborted.convert(parse('{"choices":[{"index":0,"delta":{"content":""},"finish_reason":"abort"}]}'));
    assert.equal(aborted.failure, 'abort');
  });
});
