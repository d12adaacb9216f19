import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './api-error.ts';
import { toParamPath, validateChatRequest } from './validate-chat-request.ts';

const user = (content: unknown) => ({ role: 'user', content });
const base = { model: 'm', messages: [user('hi')] };
const image = (image_url: unknown) => user([{ type: 'text', text: 'q' }, { type: 'image_url', image_url }]);

function refusal(body: unknown): ApiError {
  try {
    validateChatRequest(body);
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(body)}`);
}

describe('toParamPath', () => {
  const cases: [string, string | undefined, unknown, string][] = [
    ['', undefined, undefined, ''],
    ['/model', undefined, undefined, 'model'],
    ['/messages/0/content/1/image_url/url', undefined, undefined, 'messages[0].content[1].image_url.url'],
    ['/messages/2', 'role', undefined, 'messages[2].role'],
    ['', 'model', undefined, 'model'],
    ['/a~1b/c~0d', undefined, undefined, 'a/b.c~d'],
    ['/logit_bias/50256', undefined, { logit_bias: { '50256': 200 } }, 'logit_bias.50256'],
    ['/stop/1', undefined, { stop: ['a', 1] }, 'stop[1]'],
    ['/messages/0/content/0', 'text', { messages: [{ content: [{}] }] }, 'messages[0].content[0].text'],
  ];
  for (const [pointer, extra, root, expected] of cases) {
    it(`${pointer || '(root)'}${extra ? ` + ${extra}` : ''} → ${expected || '(empty)'}`, () => {
      assert.equal(toParamPath(pointer, extra, root), expected);
    });
  }
});

describe('validateChatRequest', () => {
  it('returns the same body when valid, unknown fields kept', () => {
    const body = { ...base, temperature: 1, vendor_extension: { a: 1 } };
    assert.equal(validateChatRequest(body), body);
    assert.deepEqual(body.vendor_extension, { a: 1 });
  });

  it('refuses a body that is not an object', () => {
    for (const body of [null, [], 'x', 3]) {
      const err = refusal(body);
      assert.equal(err.status, 400);
      assert.equal(err.param, null);
    }
  });

  const table: [string, unknown, string, string?][] = [
    ['model missing', { messages: base.messages }, 'model'],
    ['model number', { ...base, model: 1 }, 'model'],
    ['messages empty', { ...base, messages: [] }, 'messages'],
    ['role unknown', { ...base, messages: [{ role: 'function', content: 'x' }] }, 'messages[0].role', 'invalid_value'],
    ['content parts empty', { ...base, messages: [user([])] }, 'messages[0].content'],
    ['text part text missing', { ...base, messages: [user([{ type: 'text' }])] }, 'messages[0].content[0].text'],
    ['part type unknown', { ...base, messages: [user([{ type: 'input_audio' }])] }, 'messages[0].content[0].type', 'invalid_value'],
    ['image url not a URL', { ...base, messages: [image({ url: 'not a url' })] }, 'messages[0].content[1].image_url.url', 'invalid_image_url'],
    ['image url number', { ...base, messages: [image({ url: 1 })] }, 'messages[0].content[1].image_url.url'],
    ['image detail', { ...base, messages: [image({ url: 'https://x.test/a.png', detail: 'ultra' })] }, 'messages[0].content[1].image_url.detail', 'invalid_value'],
    ['image in assistant message', { ...base, messages: [user('a'), { role: 'assistant', content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] }] }, 'messages[1].content[0].type'],
    ['tool message id missing', { ...base, messages: [user('a'), { role: 'tool', content: 'x' }] }, 'messages[1].tool_call_id'],
    ['assistant empty', { ...base, messages: [user('a'), { role: 'assistant', content: null }] }, 'messages[1].content'],
    ['n', { ...base, n: 0 }, 'n', 'invalid_value'],
    ['stop too many', { ...base, stop: ['1', '2', '3', '4', '5'] }, 'stop'],
    ['stop item', { ...base, stop: ['1', 2] }, 'stop[1]'],
    ['temperature', { ...base, temperature: 3 }, 'temperature', 'invalid_value'],
    ['top_p', { ...base, top_p: 2 }, 'top_p', 'invalid_value'],
    ['top_k', { ...base, top_k: -2 }, 'top_k'],
    ['presence_penalty', { ...base, presence_penalty: -2.1 }, 'presence_penalty'],
    ['frequency_penalty', { ...base, frequency_penalty: 2.1 }, 'frequency_penalty'],
    ['logit_bias key', { ...base, logit_bias: { abc: 1 } }, 'logit_bias'],
    ['logit_bias value', { ...base, logit_bias: { '42': -101 } }, 'logit_bias.42'],
    ['top_logprobs without logprobs', { ...base, top_logprobs: 1 }, 'top_logprobs'],
    ['stream_options without stream', { ...base, stream_options: { include_usage: true } }, 'stream_options'],
    ['include_usage type', { ...base, stream: true, stream_options: { include_usage: 1 } }, 'stream_options.include_usage'],
    ['max_completion_tokens', { ...base, max_completion_tokens: 0 }, 'max_completion_tokens'],
    ['seed', { ...base, seed: 0.5 }, 'seed'],
    ['response_format type', { ...base, response_format: { type: 'yaml' } }, 'response_format.type'],
    ['json_schema name', { ...base, response_format: { type: 'json_schema', json_schema: {} } }, 'response_format.json_schema.name'],
    ['tool name', { ...base, tools: [{ type: 'function', function: { name: 'a b' } }] }, 'tools[0].function.name'],
    ['tool_choice without tools', { ...base, tool_choice: 'required' }, 'tool_choice'],
    ['parallel_tool_calls', { ...base, parallel_tool_calls: 1 }, 'parallel_tool_calls'],
  ];
  for (const [name, body, param, code] of table) {
    it(`${name} → ${param}`, () => {
      const err = refusal(body);
      assert.equal(err.status, 400);
      assert.equal(err.type, 'invalid_request_error');
      assert.equal(err.param, param);
      if (code) assert.equal(err.code, code);
      assert.ok(err.message.length > 10 && !err.message.includes('undefined'), err.message);
    });
  }

  it('says what is wrong in words', () => {
    assert.match(refusal({ ...base, temperature: 3 }).message, /'temperature'.*<= 2/);
    assert.match(refusal({ ...base, n: 'x' }).message, /'n'.*an integer/);
    assert.match(refusal({ messages: [] }).message, /Missing required parameter: 'model'/);
    assert.match(refusal({ ...base, messages: [{ role: 'robot', content: 'x' }] }).message, /"robot" is not 'system', 'developer', 'user', 'assistant', 'tool'/);
  });

  it('accepts data URLs and http(s) URLs of any case', () => {
    for (const url of ['data:image/png;base64,AAAA', 'HTTPS://x.test/a.png', 'http://x.test/a.png']) {
      assert.doesNotThrow(() => validateChatRequest({ ...base, messages: [image({ url })] }));
    }
  });
});
