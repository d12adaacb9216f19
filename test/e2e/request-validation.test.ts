// Every request field checked for type and range: a 400 invalid_request_error naming the exact
// `param` path, OpenAI-shaped. Plus malformed JSON, wrong content type, unknown model, 413.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { assertChatCompletion, assertErrorResponse } from '../support/openai-schemas.ts';
import { IMAGE_URL, PNG_DATA_URL, chatRequests, startStack, type Stack } from './e2e-setup.ts';

const user = (content: unknown) => ({ role: 'user', content });
const base = { model: 'gpt-4o-mini', messages: [user('hi')] };
const withImage = (image_url: unknown) => ({ ...base, messages: [user([{ type: 'text', text: 'what?' }, { type: 'image_url', image_url }])] });
const custom = (name: string) => ({ type: 'custom', custom: { name } });
const fn = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: {} } } });

interface BadCase {
  name: string;
  body: Record<string, unknown>;
  param: string | null;
  code?: string;
}

/** Requests that must be refused, and the param each refusal must name. */
const badRequests: BadCase[] = [
  { name: 'model missing', body: { messages: base.messages }, param: 'model' },
  { name: 'model not a string', body: { ...base, model: 5 }, param: 'model' },
  { name: 'model empty', body: { ...base, model: '' }, param: 'model' },
  { name: 'messages missing', body: { model: 'gpt-4o-mini' }, param: 'messages' },
  { name: 'messages empty', body: { ...base, messages: [] }, param: 'messages', code: 'empty_array' },
  { name: 'messages not an array', body: { ...base, messages: 'hi' }, param: 'messages' },
  { name: 'message not an object', body: { ...base, messages: ['hi'] }, param: 'messages[0]' },
  { name: 'role unknown', body: { ...base, messages: [{ role: 'robot', content: 'x' }] }, param: 'messages[0].role', code: 'invalid_value' },
  { name: 'role missing', body: { ...base, messages: [{ content: 'x' }] }, param: 'messages[0].role', code: 'missing_required_parameter' },
  { name: 'user content missing', body: { ...base, messages: [{ role: 'user' }] }, param: 'messages[0].content' },
  { name: 'user content a number', body: { ...base, messages: [user(5)] }, param: 'messages[0].content', code: 'invalid_type' },
  { name: 'user content an empty array', body: { ...base, messages: [user([])] }, param: 'messages[0].content' },
  { name: 'text part without text', body: { ...base, messages: [user([{ type: 'text' }])] }, param: 'messages[0].content[0].text' },
  { name: 'text part with numeric text', body: { ...base, messages: [user([{ type: 'text', text: 1 }])] }, param: 'messages[0].content[0].text' },
  { name: 'part of unknown type', body: { ...base, messages: [user([{ type: 'audio', audio: {} }])] }, param: 'messages[0].content[0].type', code: 'invalid_value' },
  { name: 'part without type', body: { ...base, messages: [user([{ text: 'x' }])] }, param: 'messages[0].content[0].type' },
  { name: 'image_url missing', body: { ...base, messages: [user([{ type: 'text', text: 'x' }, { type: 'image_url' }])] }, param: 'messages[0].content[1].image_url' },
  { name: 'image_url a string', body: withImage(IMAGE_URL), param: 'messages[0].content[1].image_url' },
  { name: 'image url missing', body: withImage({}), param: 'messages[0].content[1].image_url.url' },
  { name: 'image url not a string', body: withImage({ url: 42 }), param: 'messages[0].content[1].image_url.url' },
  { name: 'image url empty', body: withImage({ url: '' }), param: 'messages[0].content[1].image_url.url' },
  { name: 'image url ftp', body: withImage({ url: 'ftp://example.com/a.png' }), param: 'messages[0].content[1].image_url.url', code: 'invalid_image_url' },
  { name: 'image url a bare path', body: withImage({ url: '/etc/passwd' }), param: 'messages[0].content[1].image_url.url', code: 'invalid_image_url' },
  { name: 'image detail unknown', body: withImage({ url: IMAGE_URL, detail: 'medium' }), param: 'messages[0].content[1].image_url.detail', code: 'invalid_value' },
  {
    name: 'image in a system message',
    body: { ...base, messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: IMAGE_URL } }] }, user('x')] },
    param: 'messages[0].content[0].type',
  },
  {
    name: 'image in the second message',
    body: { ...base, messages: [user('a'), user([{ type: 'image_url', image_url: { url: 'file:///x.png' } }])] },
    param: 'messages[1].content[0].image_url.url',
    code: 'invalid_image_url',
  },
  { name: 'system content a number', body: { ...base, messages: [{ role: 'system', content: 1 }, user('x')] }, param: 'messages[0].content' },
  { name: 'developer content missing', body: { ...base, messages: [{ role: 'developer' }, user('x')] }, param: 'messages[0].content' },
  { name: 'assistant without content or tool_calls', body: { ...base, messages: [user('a'), { role: 'assistant' }, user('b')] }, param: 'messages[1].content' },
  {
    name: 'assistant tool call without id',
    body: { ...base, messages: [user('a'), { role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }] },
    param: 'messages[1].tool_calls[0].id',
  },
  { name: 'tool message without tool_call_id', body: { ...base, messages: [user('a'), { role: 'tool', content: 'r' }] }, param: 'messages[1].tool_call_id' },
  { name: 'message name not a string', body: { ...base, messages: [{ role: 'user', content: 'x', name: 3 }] }, param: 'messages[0].name' },
  { name: 'n zero', body: { ...base, n: 0 }, param: 'n', code: 'integer_below_min_value' },
  { name: 'n fractional', body: { ...base, n: 1.5 }, param: 'n' },
  { name: 'n a string', body: { ...base, n: 'two' }, param: 'n' },
  { name: 'n too large', body: { ...base, n: 129 }, param: 'n', code: 'integer_above_max_value' },
  { name: 'stream a string', body: { ...base, stream: 'yes' }, param: 'stream' },
  { name: 'stream_options without stream', body: { ...base, stream_options: { include_usage: true } }, param: 'stream_options' },
  { name: 'include_usage a string', body: { ...base, stream: true, stream_options: { include_usage: 'yes' } }, param: 'stream_options.include_usage' },
  { name: 'stream_options an array', body: { ...base, stream: true, stream_options: [] }, param: 'stream_options' },
  { name: 'stop a number', body: { ...base, stop: 5 }, param: 'stop' },
  { name: 'stop five strings', body: { ...base, stop: ['a', 'b', 'c', 'd', 'e'] }, param: 'stop', code: 'array_above_max_length' },
  { name: 'stop empty array', body: { ...base, stop: [] }, param: 'stop' },
  { name: 'stop with a number inside', body: { ...base, stop: ['a', 1] }, param: 'stop[1]' },
  { name: 'max_tokens zero', body: { ...base, max_tokens: 0 }, param: 'max_tokens', code: 'integer_below_min_value' },
  { name: 'max_tokens a string', body: { ...base, max_tokens: '10' }, param: 'max_tokens' },
  { name: 'max_completion_tokens negative', body: { ...base, max_completion_tokens: -1 }, param: 'max_completion_tokens' },
  { name: 'max_completion_tokens fractional', body: { ...base, max_completion_tokens: 2.5 }, param: 'max_completion_tokens' },
  { name: 'temperature above 2', body: { ...base, temperature: 2.01 }, param: 'temperature', code: 'decimal_above_max_value' },
  { name: 'temperature negative', body: { ...base, temperature: -0.1 }, param: 'temperature', code: 'decimal_below_min_value' },
  { name: 'temperature a string', body: { ...base, temperature: 'hot' }, param: 'temperature', code: 'invalid_type' },
  { name: 'top_p above 1', body: { ...base, top_p: 1.5 }, param: 'top_p', code: 'decimal_above_max_value' },
  { name: 'top_p negative', body: { ...base, top_p: -0.5 }, param: 'top_p' },
  { name: 'top_k below -1', body: { ...base, top_k: -2 }, param: 'top_k', code: 'integer_below_min_value' },
  { name: 'top_k fractional', body: { ...base, top_k: 2.5 }, param: 'top_k' },
  { name: 'presence_penalty above 2', body: { ...base, presence_penalty: 2.5 }, param: 'presence_penalty', code: 'decimal_above_max_value' },
  { name: 'presence_penalty below -2', body: { ...base, presence_penalty: -2.5 }, param: 'presence_penalty' },
  { name: 'frequency_penalty below -2', body: { ...base, frequency_penalty: -3 }, param: 'frequency_penalty' },
  { name: 'frequency_penalty a string', body: { ...base, frequency_penalty: '1' }, param: 'frequency_penalty' },
  { name: 'logit_bias an array', body: { ...base, logit_bias: [1] }, param: 'logit_bias' },
  { name: 'logit_bias key not a token id', body: { ...base, logit_bias: { hello: 1 } }, param: 'logit_bias' },
  { name: 'logit_bias value out of range', body: { ...base, logit_bias: { '50256': 101 } }, param: 'logit_bias.50256' },
  { name: 'logit_bias value a string', body: { ...base, logit_bias: { '50256': 'ban' } }, param: 'logit_bias.50256' },
  { name: 'logprobs a string', body: { ...base, logprobs: 'yes' }, param: 'logprobs' },
  { name: 'top_logprobs above 20', body: { ...base, logprobs: true, top_logprobs: 21 }, param: 'top_logprobs' },
  { name: 'top_logprobs without logprobs', body: { ...base, top_logprobs: 2 }, param: 'top_logprobs' },
  { name: 'seed fractional', body: { ...base, seed: 1.5 }, param: 'seed' },
  { name: 'seed a string', body: { ...base, seed: '42' }, param: 'seed', code: 'invalid_type' },
  { name: 'seed beyond int64', body: { ...base, seed: 1e19 }, param: 'seed', code: 'integer_above_max_value' },
  { name: 'user a number', body: { ...base, user: 5 }, param: 'user' },
  { name: 'response_format type unknown', body: { ...base, response_format: { type: 'xml' } }, param: 'response_format.type', code: 'invalid_value' },
  { name: 'response_format a string', body: { ...base, response_format: 'json' }, param: 'response_format' },
  { name: 'json_schema missing', body: { ...base, response_format: { type: 'json_schema' } }, param: 'response_format.json_schema' },
  { name: 'json_schema name missing', body: { ...base, response_format: { type: 'json_schema', json_schema: { schema: {} } } }, param: 'response_format.json_schema.name' },
  { name: 'json_schema name with spaces', body: { ...base, response_format: { type: 'json_schema', json_schema: { name: 'my schema' } } }, param: 'response_format.json_schema.name' },
  { name: 'json_schema schema not an object', body: { ...base, response_format: { type: 'json_schema', json_schema: { name: 's', schema: 'x' } } }, param: 'response_format.json_schema.schema' },
  { name: 'tools not an array', body: { ...base, tools: fn('f') }, param: 'tools' },
  { name: 'tool without function', body: { ...base, tools: [{ type: 'function' }] }, param: 'tools[0].function' },
  { name: 'tool function without name', body: { ...base, tools: [{ type: 'function', function: {} }] }, param: 'tools[0].function.name' },
  { name: 'tool of unknown type', body: { ...base, tools: [{ type: 'retrieval', function: { name: 'f' } }] }, param: 'tools[0].type' },
  { name: 'second tool name invalid', body: { ...base, tools: [fn('ok'), fn('not ok!')] }, param: 'tools[1].function.name' },
  { name: 'tool parameters not an object', body: { ...base, tools: [{ type: 'function', function: { name: 'f', parameters: 'x' } }] }, param: 'tools[0].function.parameters' },
  { name: 'tool_choice unknown string', body: { ...base, tools: [fn('f')], tool_choice: 'sometimes' }, param: 'tool_choice' },
  { name: 'tool_choice required without tools', body: { ...base, tool_choice: 'required' }, param: 'tool_choice' },
  { name: 'tool_choice function without tools', body: { ...base, tool_choice: { type: 'function', function: { name: 'f' } } }, param: 'tool_choice' },
  { name: 'parallel_tool_calls a string', body: { ...base, tools: [fn('f')], parallel_tool_calls: 'yes' }, param: 'parallel_tool_calls' },
  { name: 'parallel_tool_calls without tools', body: { ...base, parallel_tool_calls: false }, param: 'parallel_tool_calls' },
  { name: 'tools empty', body: { ...base, tools: [] }, param: 'tools', code: 'empty_array' },
  {
    name: 'assistant tool_calls empty',
    body: { ...base, messages: [user('a'), { role: 'assistant', content: 'x', tool_calls: [] }, user('b')] },
    param: 'messages[1].tool_calls',
    code: 'empty_array',
  },
  { name: 'tool_choice function without name', body: { ...base, tools: [fn('f')], tool_choice: { type: 'function', function: {} } }, param: 'tool_choice.function.name', code: 'missing_required_parameter' },
  { name: 'tool_choice custom without name', body: { ...base, tools: [custom('g')], tool_choice: { type: 'custom', custom: {} } }, param: 'tool_choice.custom.name', code: 'missing_required_parameter' },
  { name: 'tool_choice allowed_tools without tools', body: { ...base, tools: [fn('f')], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto' } } }, param: 'tool_choice.allowed_tools.tools', code: 'missing_required_parameter' },
  { name: 'custom tool without custom', body: { ...base, tools: [{ type: 'custom' }] }, param: 'tools[0].custom', code: 'missing_required_parameter' },
  { name: 'audio part with an unknown format', body: { ...base, messages: [user([{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'flac' } }])] }, param: 'messages[0].content[0].input_audio.format', code: 'invalid_value' },
  { name: 'file part without file', body: { ...base, messages: [user([{ type: 'file' }])] }, param: 'messages[0].content[0].file', code: 'missing_required_parameter' },
  { name: 'function message without name', body: { ...base, messages: [user('a'), { role: 'function', content: 'r' }] }, param: 'messages[1].name', code: 'missing_required_parameter' },
  {
    name: 'assistant function_call without name',
    body: { ...base, messages: [user('a'), { role: 'assistant', function_call: { arguments: '{}' } }, user('b')] },
    param: 'messages[1].function_call.name',
    code: 'missing_required_parameter',
  },
  {
    name: 'custom tool call without input',
    body: { ...base, messages: [user('a'), { role: 'assistant', tool_calls: [{ id: 'c1', type: 'custom', custom: { name: 'g' } }] }] },
    param: 'messages[1].tool_calls[0].custom.input',
    code: 'missing_required_parameter',
  },
  { name: 'logit_bias value a decimal', body: { ...base, logit_bias: { '50256': 2.5 } }, param: 'logit_bias.50256', code: 'invalid_type' },
  { name: 'include_obfuscation a string', body: { ...base, stream: true, stream_options: { include_obfuscation: 'no' } }, param: 'stream_options.include_obfuscation', code: 'invalid_type' },
  { name: 'message name with a space', body: { ...base, messages: [user('a'), { role: 'user', content: 'x', name: 'Jane Doe' }] }, param: 'messages[1].name', code: 'invalid_value' },
  {
    name: 'assistant tool call name with a dot',
    body: { ...base, messages: [user('a'), { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'fs.read', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'c1', content: 'r' }] },
    param: 'messages[1].tool_calls[0].function.name',
    code: 'invalid_value',
  },
  { name: 'tool_choice naming a function not in tools', body: { ...base, tools: [fn('f')], tool_choice: { type: 'function', function: { name: 'g' } } }, param: 'tool_choice.function.name' },
  { name: 'tool_choice naming a custom tool not in tools', body: { ...base, tools: [fn('g')], tool_choice: { type: 'custom', custom: { name: 'g' } } }, param: 'tool_choice.custom.name' },
];

/** Requests at the edges of every range, each of which must be accepted. */
const goodRequests: { name: string; body: Record<string, unknown> }[] = [
  { name: 'every role', body: { ...base, messages: [{ role: 'system', content: 's' }, { role: 'developer', content: 'd' }, user('u'), { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'c1', content: 'r' }, user('again')] } },
  { name: 'text parts in system and tool messages', body: { ...base, messages: [{ role: 'system', content: [{ type: 'text', text: 's' }] }, user('u')] } },
  { name: 'assistant refusal part', body: { ...base, messages: [user('a'), { role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }] }, user('b')] } },
  { name: 'detail auto', body: withImage({ url: IMAGE_URL, detail: 'auto' }) },
  { name: 'detail low', body: withImage({ url: IMAGE_URL, detail: 'low' }) },
  { name: 'detail high with a data URL', body: withImage({ url: PNG_DATA_URL, detail: 'high' }) },
  { name: 'range minimums', body: { ...base, n: 1, max_tokens: 1, max_completion_tokens: 1, temperature: 0, top_p: 0, top_k: -1, presence_penalty: -2, frequency_penalty: -2, logit_bias: { '1': -100 }, logprobs: true, top_logprobs: 0, seed: -5 } },
  { name: 'range maximums', body: { ...base, temperature: 2, top_p: 1, presence_penalty: 2, frequency_penalty: 2, logit_bias: { '1': 100 }, logprobs: true, top_logprobs: 20 } },
  { name: 'nulls for nullable fields', body: { ...base, n: null, stream: null, stop: null, max_tokens: null, temperature: null, top_p: null, seed: null, logprobs: null } },
  { name: 'stop as a string', body: { ...base, stop: 'END' } },
  { name: 'stop with four strings', body: { ...base, stop: ['a', 'b', 'c', 'd'] } },
  { name: 'response_format text', body: { ...base, response_format: { type: 'text' } } },
  { name: 'response_format json_schema', body: { ...base, response_format: { type: 'json_schema', json_schema: { name: 'answer_1', schema: { type: 'object' }, strict: true } } } },
  { name: 'tool_choice none without tools', body: { ...base, tool_choice: 'none' } },
  { name: 'tools with auto and parallel off', body: { ...base, tools: [fn('f')], tool_choice: 'auto', parallel_tool_calls: false } },
  { name: 'tool_choice naming a function', body: { ...base, tools: [fn('f'), fn('g')], tool_choice: { type: 'function', function: { name: 'g' } } } },
  { name: 'user string', body: { ...base, user: 'user-1234' } },
  { name: 'seed at the ends of int64', body: { ...base, seed: 9223372036854775807, n: 1 } },
  {
    name: 'legacy function_call and function message',
    body: { ...base, messages: [user('a'), { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } }, { role: 'function', name: 'f', content: 'r' }] },
  },
  { name: 'assistant audio-only turn', body: { ...base, messages: [user('a'), { role: 'assistant', audio: { id: 'audio_abc' } }, user('b')] } },
  {
    name: 'input_audio and file parts',
    body: { ...base, messages: [user([{ type: 'text', text: 'q' }, { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }, { type: 'file', file: { file_id: 'file-1' } }])] },
  },
  { name: 'custom tools, a custom tool_choice', body: { ...base, tools: [custom('g'), fn('f')], tool_choice: { type: 'custom', custom: { name: 'g' } } } },
  { name: 'allowed_tools tool_choice', body: { ...base, tools: [fn('f'), fn('g')], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'f' } }] } } } },
  { name: 'message names of the allowed alphabet', body: { ...base, messages: [{ role: 'system', content: 's', name: 'Sys_1' }, { role: 'user', content: 'u', name: 'jane-doe' }] } },
  {
    name: 'assistant custom tool call',
    body: { ...base, tools: [custom('g')], messages: [user('a'), { role: 'assistant', tool_calls: [{ id: 'c1', type: 'custom', custom: { name: 'g', input: 'x' } }] }, { role: 'tool', tool_call_id: 'c1', content: 'r' }] },
  },
];

describe('request validation', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ config: { limits: { max_body_bytes: 4096 } } });
  });
  after(() => stack.close());

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json', ...headers },
      body,
    });

  /** An OpenAI error body of the given status, schema-checked. */
  async function expectError(res: Response, status: number): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
    const text = await res.text();
    assert.equal(res.status, status, text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = JSON.parse(text);
    assertErrorResponse(body);
    assert.doesNotMatch(body.error.message, /\n\s+at /, 'no stack trace');
    return body.error;
  }

  for (const bad of badRequests) {
    it(`400 ${bad.param} — ${bad.name}`, async () => {
      stack.upstream.reset();
      const error = await expectError(await post(JSON.stringify(bad.body)), 400);
      assert.equal(error.type, 'invalid_request_error');
      assert.equal(error.param, bad.param);
      if (bad.code) assert.equal(error.code, bad.code);
      // OpenAI's "Invalid value: 'x'. Supported values are: …" names the value; param names the field.
      if (bad.param && error.code !== 'invalid_value') assert.ok(error.message.includes(bad.param.split(/[.[]/)[0]), `message names the field: ${error.message}`);
      assert.equal(chatRequests(stack.upstream).length, 0, 'nothing reached the upstream');
    });
  }

  for (const good of goodRequests) {
    it(`200 — ${good.name}`, async () => {
      const res = await post(JSON.stringify(good.body));
      const text = await res.text();
      assert.equal(res.status, 200, text);
      assertChatCompletion(JSON.parse(text));
    });
  }

  it('400 for a number beyond the double range (JSON.parse reads 1e309 as Infinity, which would go upstream as null)', async () => {
    const cases: [string, string, string][] = [
      ['max_tokens', '1e309', 'invalid_type'],
      ['max_completion_tokens', '1e309', 'invalid_type'],
      ['top_k', '1e309', 'invalid_type'],
      ['seed', '-1e309', 'invalid_type'],
      ['temperature', '1e309', 'decimal_above_max_value'],
      ['presence_penalty', '-1e309', 'decimal_below_min_value'],
    ];
    for (const [field, number, code] of cases) {
      stack.upstream.reset();
      const error = await expectError(await post(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"${field}":${number}}`), 400);
      assert.equal(error.param, field);
      assert.equal(error.code, code, error.message);
      assert.equal(chatRequests(stack.upstream).length, 0, `${field}: nothing reached the upstream`);
    }
    const error = await expectError(await post('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"logit_bias":{"50256":1e400}}'), 400);
    assert.equal(error.param, 'logit_bias.50256');
  });

  it('the SDK surfaces the param path of a refused field', async () => {
    await assert.rejects(
      stack.iris.client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url: 'gopher://x' } }] }],
      }),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError);
        assert.equal(err.status, 400);
        assert.equal(err.param, 'messages[0].content[1].image_url.url');
        assert.equal(err.type, 'invalid_request_error');
        assert.equal(err.code, 'invalid_image_url');
        return true;
      },
    );
  });

  it('400 invalid_json for malformed JSON', async () => {
    const error = await expectError(await post('{"model": "gpt-4o-mini", "messages": ['), 400);
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.code, 'invalid_json');
  });

  it('400 for an empty body sent as JSON', async () => {
    const error = await expectError(await post(''), 400);
    assert.equal(error.type, 'invalid_request_error');
  });

  it('400 for a JSON body that is not an object', async () => {
    for (const body of ['[]', '"hello"', '42', 'null']) {
      const error = await expectError(await post(body), 400);
      assert.equal(error.type, 'invalid_request_error', body);
    }
  });

  it('400 for a body carrying __proto__ or constructor.prototype, saying the key is refused (the JSON is valid)', async () => {
    for (const extra of ['"__proto__":{"admin":true}', '"constructor":{"prototype":{"admin":true}}']) {
      const error = await expectError(await post(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],${extra}}`), 400);
      assert.equal(error.type, 'invalid_request_error');
      assert.notEqual(error.code, 'invalid_json');
      assert.match(error.message, /'__proto__' or 'constructor.prototype' key/);
    }
  });

  it('415 for a content type Iris does not parse, plain text included', async () => {
    for (const type of ['application/xml', 'application/x-www-form-urlencoded', 'text/plain', 'text/plain; charset=utf-8']) {
      const error = await expectError(await post(JSON.stringify(base), { 'content-type': type }), 415);
      assert.equal(error.code, 'unsupported_media_type', type);
    }
  });

  it('415 for a compressed body, saying so (it would otherwise read as JSON that does not parse)', async () => {
    for (const encoding of ['gzip', 'br', 'deflate']) {
      const error = await expectError(await post(JSON.stringify(base), { 'content-type': 'application/json', 'content-encoding': encoding }), 415);
      assert.equal(error.code, 'unsupported_content_encoding', encoding);
      assert.match(error.message, new RegExp(`'${encoding}' is not supported`));
    }
    const plain = await post(JSON.stringify(base), { 'content-type': 'application/json', 'content-encoding': 'identity' });
    assert.equal(plain.status, 200);
  });

  it('an HTTP request Node cannot parse gets an OpenAI-shaped 400 too', async () => {
    const { port } = new URL(stack.iris.baseURL);
    // The Content-Length covers half the body: the rest reads as a malformed second request.
    const body = JSON.stringify(base);
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${stack.iris.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${body.length >> 1}\r\n\r\n`;
    const socket = connect(Number(port), '127.0.0.1');
    socket.end(head + body);
    let wire = '';
    for await (const chunk of socket) wire += chunk;
    const last = wire.slice(wire.lastIndexOf('HTTP/1.1 '));
    assert.match(last, /^HTTP\/1\.1 400 /);
    const error = JSON.parse(last.slice(last.indexOf('\r\n\r\n') + 4));
    assertErrorResponse(error);
    assert.equal(error.error.type, 'invalid_request_error');
    assert.equal(error.error.code, 'invalid_http_request');
    // Node's parser error carries the raw request bytes (key, body): the log line gets only the code.
    const logged = stack.iris.logs.filter((line) => line.msg === 'client error');
    assert.ok(logged.length > 0, 'no client error logged');
    for (const line of logged) assert.ok(!JSON.stringify(line).includes('rawPacket'), JSON.stringify(line));
  });

  it('404 model_not_found for an unknown model, through the SDK too', async () => {
    const error = await expectError(await post(JSON.stringify({ ...base, model: 'gpt-9' })), 404);
    assert.equal(error.code, 'model_not_found');
    assert.equal(error.param, null);
    assert.equal(error.message, 'The model `gpt-9` does not exist or you do not have access to it.');
    // Names match exactly, as OpenAI's do; one that differs only in case is pointed out.
    const cased = await expectError(await post(JSON.stringify({ ...base, model: 'GPT-4o-Mini' })), 404);
    assert.equal(cased.message, 'The model `GPT-4o-Mini` does not exist or you do not have access to it. Did you mean `gpt-4o-mini`?');
    await assert.rejects(
      stack.iris.client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof OpenAI.NotFoundError && err.code === 'model_not_found',
    );
    // A pasted data URL as the model name is not sent back (or logged) whole.
    const long = await expectError(await post(JSON.stringify({ ...base, model: `data:image/png;base64,${'A'.repeat(3_000)}` })), 404);
    assert.ok(long.message.length < 300, `${long.message.length} characters`);
    const [line] = await stack.iris.logged((l) => l.msg === 'request' && l.status === 404 && String(l.model).startsWith('data:image/png'), 2_000);
    assert.ok(line, 'the request line names the model asked for');
    assert.ok(String(line.model).length <= 100, `logged model: ${String(line.model).length} characters`);
  });

  it('413 for a body over limits.max_body_bytes, and a body just under it passes', async () => {
    const big = JSON.stringify({ ...base, messages: [user('x'.repeat(5000))] });
    const error = await expectError(await post(big), 413);
    assert.equal(error.type, 'invalid_request_error');
    const fits = JSON.stringify({ ...base, messages: [user('x'.repeat(3000))] });
    assert.ok(Buffer.byteLength(fits) < 4096);
    assert.equal((await post(fits)).status, 200);
    await assert.rejects(
      stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'y'.repeat(5000) }] }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 413,
    );
  });

  it('a chunked body (no Content-Length) is held to the same limit as it arrives', async () => {
    const chunked = (text: string) => {
      const bytes = Buffer.from(text);
      const parts = [bytes.subarray(0, 1500), bytes.subarray(1500, 3000), bytes.subarray(3000)];
      return fetch(`${stack.iris.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
        body: new ReadableStream({
          pull(controller) {
            const part = parts.shift();
            if (part) controller.enqueue(part);
            else controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
    };
    const error = await expectError(await chunked(JSON.stringify({ ...base, messages: [user('x'.repeat(5000))] })), 413);
    assert.equal(error.code, 'request_too_large');
    const fits = JSON.stringify({ ...base, messages: [user('ü'.repeat(1500))] }); // two-byte characters across the edges
    assert.ok(Buffer.byteLength(fits) > 3000 && Buffer.byteLength(fits) < 4096);
    assert.equal((await chunked(fits)).status, 200);
  });

  it('passes fields Iris does not know on to the upstream untouched', async () => {
    stack.upstream.reset();
    const extra = { min_p: 0.05, repetition_penalty: 1.2, guided_choice: ['yes', 'no'], metadata: { trace: 'abc' } };
    const res = await post(JSON.stringify({ ...base, ...extra }));
    assert.equal(res.status, 200);
    const sent = chatRequests(stack.upstream)[0].body as Record<string, unknown>;
    for (const [key, value] of Object.entries(extra)) assert.deepEqual(sent[key], value, key);
  });

  it('passes audio and file content parts on to an OpenAI-compatible upstream untouched', async () => {
    stack.upstream.reset();
    const messages = [user([{ type: 'text', text: 'q' }, { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }, { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } }])];
    const res = await post(JSON.stringify({ ...base, messages }));
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual((chatRequests(stack.upstream)[0].body as { messages: unknown }).messages, messages);
  });

  it('404 unknown_url for a path Iris does not serve', async () => {
    const res = await fetch(`${stack.iris.baseURL}/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(base),
    });
    const error = await expectError(res, 404);
    assert.equal(error.code, 'unknown_url');
  });
});

describe('request validation at the default body limit', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('400 for a valid body nested too deeply to forward, nothing sent upstream', async () => {
    stack.upstream.reset();
    const depth = 100_000;
    const body = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"vendor_extension":${'['.repeat(depth)}1${']'.repeat(depth)}}`;
    const res = await fetch(`${stack.iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
      body,
    });
    const text = await res.text();
    assert.equal(res.status, 400, text);
    const error = JSON.parse(text);
    assertErrorResponse(error);
    assert.equal(error.error.type, 'invalid_request_error');
    assert.equal(error.error.code, 'nested_too_deeply');
    assert.equal(chatRequests(stack.upstream).length, 0);
  });
});
