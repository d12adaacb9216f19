import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './api-error.ts';
import { toParamPath } from './map-schema-error.ts';
import { validateChatRequest } from './validate-chat-request.ts';

const user = (content: unknown) => ({ role: 'user', content });
const base = { model: 'm', messages: [user('hi')] };
const fn = { type: 'function', function: { name: 'f' } };
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
    ['role unknown', { ...base, messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', 'invalid_value'],
    ['function message without name', { ...base, messages: [user('a'), { role: 'function', content: 'r' }] }, 'messages[1].name', 'missing_required_parameter'],
    ['content parts empty', { ...base, messages: [user([])] }, 'messages[0].content'],
    ['text part text missing', { ...base, messages: [user([{ type: 'text' }])] }, 'messages[0].content[0].text'],
    ['part type unknown', { ...base, messages: [user([{ type: 'video' }])] }, 'messages[0].content[0].type', 'invalid_value'],
    ['audio part without input_audio', { ...base, messages: [user([{ type: 'input_audio' }])] }, 'messages[0].content[0].input_audio', 'missing_required_parameter'],
    ['audio format', { ...base, messages: [user([{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'ogg' } }])] }, 'messages[0].content[0].input_audio.format', 'invalid_value'],
    ['file part file a string', { ...base, messages: [user([{ type: 'file', file: 'file-1' }])] }, 'messages[0].content[0].file', 'invalid_type'],
    ['assistant function_call without arguments', { ...base, messages: [user('a'), { role: 'assistant', function_call: { name: 'f' } }] }, 'messages[1].function_call.arguments', 'missing_required_parameter'],
    ['assistant audio without id', { ...base, messages: [user('a'), { role: 'assistant', audio: {} }] }, 'messages[1].audio.id', 'missing_required_parameter'],
    ['assistant tool_calls empty', { ...base, messages: [user('a'), { role: 'assistant', content: 'x', tool_calls: [] }] }, 'messages[1].tool_calls', 'empty_array'],
    ['custom tool call without input', { ...base, messages: [user('a'), { role: 'assistant', tool_calls: [{ id: 'c1', type: 'custom', custom: { name: 'g' } }] }] }, 'messages[1].tool_calls[0].custom.input', 'missing_required_parameter'],
    ['tool call of unknown type', { ...base, messages: [user('a'), { role: 'assistant', tool_calls: [{ id: 'c1', type: 'web' }] }] }, 'messages[1].tool_calls[0].type', 'invalid_value'],
    ['image url not a URL', { ...base, messages: [image({ url: 'not a url' })] }, 'messages[0].content[1].image_url.url', 'invalid_image_url'],
    ['image url number', { ...base, messages: [image({ url: 1 })] }, 'messages[0].content[1].image_url.url'],
    ['image detail', { ...base, messages: [image({ url: 'https://x.test/a.png', detail: 'ultra' })] }, 'messages[0].content[1].image_url.detail', 'invalid_value'],
    ['image in assistant message', { ...base, messages: [user('a'), { role: 'assistant', content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] }] }, 'messages[1].content[0].type'],
    ['tool message id missing', { ...base, messages: [user('a'), { role: 'tool', content: 'x' }] }, 'messages[1].tool_call_id'],
    ['assistant empty', { ...base, messages: [user('a'), { role: 'assistant', content: null }] }, 'messages[1].content'],
    ['n', { ...base, n: 0 }, 'n', 'integer_below_min_value'],
    ['stop too many', { ...base, stop: ['1', '2', '3', '4', '5'] }, 'stop'],
    ['stop item', { ...base, stop: ['1', 2] }, 'stop[1]'],
    ['temperature', { ...base, temperature: 3 }, 'temperature', 'decimal_above_max_value'],
    ['top_p', { ...base, top_p: 2 }, 'top_p', 'decimal_above_max_value'],
    ['top_k', { ...base, top_k: -2 }, 'top_k', 'integer_below_min_value'],
    ['presence_penalty', { ...base, presence_penalty: -2.1 }, 'presence_penalty'],
    ['frequency_penalty', { ...base, frequency_penalty: 2.1 }, 'frequency_penalty'],
    ['logit_bias key', { ...base, logit_bias: { abc: 1 } }, 'logit_bias'],
    ['logit_bias value', { ...base, logit_bias: { '42': -101 } }, 'logit_bias.42'],
    ['top_logprobs without logprobs', { ...base, top_logprobs: 1 }, 'top_logprobs'],
    ['stream_options without stream', { ...base, stream_options: { include_usage: true } }, 'stream_options'],
    ['include_usage type', { ...base, stream: true, stream_options: { include_usage: 1 } }, 'stream_options.include_usage'],
    ['max_completion_tokens', { ...base, max_completion_tokens: 0 }, 'max_completion_tokens'],
    ['seed', { ...base, seed: 0.5 }, 'seed', 'invalid_type'],
    ['seed above int64', { ...base, seed: 1e19 }, 'seed', 'integer_above_max_value'],
    ['seed below int64', { ...base, seed: -1e19 }, 'seed', 'integer_below_min_value'],
    ['response_format type', { ...base, response_format: { type: 'yaml' } }, 'response_format.type'],
    ['json_schema name', { ...base, response_format: { type: 'json_schema', json_schema: {} } }, 'response_format.json_schema.name'],
    ['tool name', { ...base, tools: [{ type: 'function', function: { name: 'a b' } }] }, 'tools[0].function.name'],
    ['tool name too long', { ...base, tools: [{ type: 'function', function: { name: 'f'.repeat(65) } }] }, 'tools[0].function.name', 'string_above_max_length'],
    ['tools empty', { ...base, tools: [] }, 'tools', 'empty_array'],
    ['custom tool without name', { ...base, tools: [{ type: 'custom', custom: {} }] }, 'tools[0].custom.name', 'missing_required_parameter'],
    ['custom tool grammar syntax', { ...base, tools: [{ type: 'custom', custom: { name: 'g', format: { type: 'grammar', grammar: { definition: 'x', syntax: 'peg' } } } }] }, 'tools[0].custom.format.grammar.syntax', 'invalid_value'],
    ['tool_choice function without name', { ...base, tools: [fn], tool_choice: { type: 'function', function: {} } }, 'tool_choice.function.name', 'missing_required_parameter'],
    ['tool_choice custom without custom', { ...base, tools: [fn], tool_choice: { type: 'custom' } }, 'tool_choice.custom', 'missing_required_parameter'],
    ['tool_choice allowed_tools mode', { ...base, tools: [fn], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'none', tools: [] } } }, 'tool_choice.allowed_tools.mode', 'invalid_value'],
    ['tool_choice of unknown type', { ...base, tools: [fn], tool_choice: { type: 'web' } }, 'tool_choice.type', 'invalid_value'],
    ['tool_choice unknown string', { ...base, tools: [fn], tool_choice: 'sometimes' }, 'tool_choice', 'invalid_value'],
    ['tool_choice a number', { ...base, tools: [fn], tool_choice: 7 }, 'tool_choice', 'invalid_type'],
    ['parallel_tool_calls without tools', { ...base, parallel_tool_calls: false }, 'parallel_tool_calls'],
    ['tool_choice without tools', { ...base, tool_choice: 'required' }, 'tool_choice'],
    ['parallel_tool_calls', { ...base, tools: [fn], parallel_tool_calls: 1 }, 'parallel_tool_calls', 'invalid_type'],
    ['reasoning_effort unknown', { ...base, reasoning_effort: 'ultra' }, 'reasoning_effort', 'invalid_value'],
    ['reasoning_effort a number', { ...base, reasoning_effort: 3 }, 'reasoning_effort', 'invalid_type'],
    ['reasoning_effort of another case', { ...base, reasoning_effort: 'High' }, 'reasoning_effort', 'invalid_value'],
    ['verbosity unknown', { ...base, verbosity: 'verbose' }, 'verbosity', 'invalid_value'],
    ['verbosity an object', { ...base, verbosity: { level: 'low' } }, 'verbosity', 'invalid_type'],
    // JSON.parse reads a number beyond the double range (1e309) as ±Infinity, which JSON.stringify sends on as null.
    ['max_tokens Infinity', { ...base, max_tokens: Infinity }, 'max_tokens', 'invalid_type'],
    ['max_completion_tokens Infinity', { ...base, max_completion_tokens: Infinity }, 'max_completion_tokens', 'invalid_type'],
    ['top_k Infinity', { ...base, top_k: Infinity }, 'top_k', 'invalid_type'],
    ['n -Infinity', { ...base, n: -Infinity }, 'n', 'invalid_type'],
    ['temperature Infinity', { ...base, temperature: Infinity }, 'temperature', 'decimal_above_max_value'],
    ['frequency_penalty -Infinity', { ...base, frequency_penalty: -Infinity }, 'frequency_penalty', 'decimal_below_min_value'],
    ['logit_bias value Infinity', { ...base, logit_bias: { '42': Infinity } }, 'logit_bias.42', 'invalid_type'],
    ['logit_bias value a decimal', { ...base, logit_bias: { '42': 1.5 } }, 'logit_bias.42', 'invalid_type'],
    ['include_obfuscation type', { ...base, stream: true, stream_options: { include_obfuscation: 'yes' } }, 'stream_options.include_obfuscation', 'invalid_type'],
    ['user message name with a space', { ...base, messages: [{ role: 'user', content: 'x', name: 'Jane Doe' }] }, 'messages[0].name', 'invalid_value'],
    ['system message name empty', { ...base, messages: [{ role: 'system', content: 'x', name: '' }, user('a')] }, 'messages[0].name', 'invalid_value'],
    ['assistant tool call name with a dot', { ...base, messages: [user('a'), { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'fs.read', arguments: '{}' } }] }] }, 'messages[1].tool_calls[0].function.name', 'invalid_value'],
    ['tool_choice naming a function not in tools', { ...base, tools: [fn], tool_choice: { type: 'function', function: { name: 'g' } } }, 'tool_choice.function.name'],
    ['tool_choice naming a custom tool not in tools', { ...base, tools: [fn], tool_choice: { type: 'custom', custom: { name: 'f' } } }, 'tool_choice.custom.name'],
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

  it("words each fault as OpenAI does, with OpenAI's code", () => {
    const cases: [unknown, string, string][] = [
      [{ ...base, max_tokens: 0 }, 'integer_below_min_value', "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead."],
      [{ ...base, n: 129 }, 'integer_above_max_value', "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 129 instead."],
      [{ ...base, temperature: 2.5 }, 'decimal_above_max_value', "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 2.5 instead."],
      [{ ...base, presence_penalty: -2.5 }, 'decimal_below_min_value', "Invalid 'presence_penalty': decimal below minimum value. Expected a value >= -2, but got -2.5 instead."],
      [{ ...base, messages: [] }, 'empty_array', "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead."],
      [{ ...base, stop: ['1', '2', '3', '4', '5'] }, 'array_above_max_length', "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length 5 instead."],
      [{ ...base, model: '' }, 'empty_string', "Invalid 'model': empty string. Expected a string with minimum length 1, but got an empty string instead."],
      [{ ...base, tools: [{ type: 'function', function: { name: 'f'.repeat(70) } }] }, 'string_above_max_length', "Invalid 'tools[0].function.name': string too long. Expected a string with maximum length 64, but got a string with length 70 instead."],
      [{ ...base, messages: [user(5)] }, 'invalid_type', "Invalid type for 'messages[0].content': expected one of a string or array of objects, but got an integer instead."],
      [{ ...base, messages: ['hi'] }, 'invalid_type', "Invalid type for 'messages[0]': expected an object, but got a string instead."],
      [{ ...base, n: 1.5 }, 'invalid_type', "Invalid type for 'n': expected an integer, but got a decimal number instead."],
      [{ ...base, temperature: 'hot' }, 'invalid_type', "Invalid type for 'temperature': expected a decimal, but got a string instead."],
      [{ ...base, tools: 'none' }, 'invalid_type', "Invalid type for 'tools': expected an array of objects, but got a string instead."],
      [{ ...base, stop: 5 }, 'invalid_type', "Invalid type for 'stop': expected one of a string or array of strings, but got an integer instead."],
      [{ ...base, tools: [fn], tool_choice: 7 }, 'invalid_type', "Invalid type for 'tool_choice': expected one of one of 'none', 'auto', or 'required' or object, but got an integer instead."],
      [{ ...base, messages: [{ content: 'x' }] }, 'missing_required_parameter', "Missing required parameter: 'messages[0].role'."],
      [{ ...base, messages: [{ role: 'foo', content: 'x' }] }, 'invalid_value', "Invalid value: 'foo'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool', and 'function'."],
      [{ ...base, messages: [{ role: 5, content: 'x' }] }, 'invalid_type', "Invalid type for 'messages[0].role': expected one of 'system', 'developer', 'user', 'assistant', 'tool', or 'function', but got an integer instead."],
      [{ ...base, tools: [fn], tool_choice: 'sometimes' }, 'invalid_value', "Invalid value: 'sometimes'. Supported values are: 'none', 'auto', and 'required'."],
      [{ ...base, response_format: { type: 'yaml' } }, 'invalid_value', "Invalid value: 'yaml'. Supported values are: 'text', 'json_object', and 'json_schema'."],
      [{ ...base, tools: [fn], tool_choice: { type: 'function', function: {} } }, 'missing_required_parameter', "Missing required parameter: 'tool_choice.function.name'."],
      [{ ...base, reasoning_effort: 'ultra' }, 'invalid_value', "Invalid value: 'ultra'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high', 'xhigh', and 'max'."],
      [{ ...base, reasoning_effort: 1 }, 'invalid_type', "Invalid type for 'reasoning_effort': expected one of 'none', 'minimal', 'low', 'medium', 'high', 'xhigh', or 'max', but got an integer instead."],
      [{ ...base, verbosity: 'loud' }, 'invalid_value', "Invalid value: 'loud'. Supported values are: 'low', 'medium', and 'high'."],
      [{ ...base, messages: [user('a'), { role: 'user', content: 'x', name: 'Jane Doe' }] }, 'invalid_value', "Invalid 'messages[1].name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'."],
      [
        { ...base, messages: [user('a'), { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'a b', arguments: '{}' } }] }] },
        'invalid_value',
        "Invalid 'messages[1].tool_calls[0].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
      ],
      [{ ...base, max_tokens: Infinity }, 'invalid_type', "Invalid type for 'max_tokens': expected an integer, but got a decimal number instead."],
      [{ ...base, temperature: Infinity }, 'decimal_above_max_value', "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got Infinity instead."],
      [{ ...base, top_p: -Infinity }, 'decimal_below_min_value', "Invalid 'top_p': decimal below minimum value. Expected a value >= 0, but got -Infinity instead."],
      [{ ...base, logit_bias: { '42': 0.5 } }, 'invalid_type', "Invalid type for 'logit_bias.42': expected an integer, but got a decimal number instead."],
    ];
    for (const [body, code, message] of cases) {
      const err = refusal(body);
      assert.equal(err.code, code, message);
      assert.equal(err.message, message);
    }
  });

  it("words a tool setting without tools as OpenAI does (clients show OpenAI's message as is)", () => {
    const cases: [unknown, string][] = [
      [{ ...base, parallel_tool_calls: false }, "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified."],
      [{ ...base, tool_choice: 'required' }, "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified."],
    ];
    for (const [body, message] of cases) {
      assert.equal(refusal(body).message, message);
    }
  });

  it('accepts the forms OpenAI accepts beyond text and images', () => {
    const bodies: Record<string, unknown>[] = [
      { ...base, messages: [user('a'), { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } }, { role: 'function', name: 'f', content: 'r' }] },
      { ...base, messages: [user('a'), { role: 'assistant', function_call: { name: 'f', arguments: '{}' } }, { role: 'function', name: 'f', content: null }] },
      { ...base, messages: [user('a'), { role: 'assistant', audio: { id: 'audio_1' } }, user('b')] },
      { ...base, messages: [user([{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }, { type: 'file', file: { file_id: 'file-1' } }])] },
      { ...base, messages: [user([{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,AAAA' } }])] },
      { ...base, tools: [{ type: 'custom', custom: { name: 'g' } }], tool_choice: { type: 'custom', custom: { name: 'g' } } },
      { ...base, tools: [{ type: 'custom', custom: { name: 'g', format: { type: 'grammar', grammar: { definition: 'start: "a"', syntax: 'lark' } } } }] },
      { ...base, tools: [fn], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [fn] } } },
      { ...base, messages: [user('a'), { role: 'assistant', tool_calls: [{ id: 'c1', type: 'custom', custom: { name: 'g', input: 'x' } }] }, { role: 'tool', tool_call_id: 'c1', content: 'r' }] },
      { ...base, top_k: -1 },
      { ...base, seed: 9223372036854775807 },
      { ...base, seed: -9223372036854775808 },
      { ...base, tools: [fn], parallel_tool_calls: true },
      ...['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max', null].map((reasoning_effort) => ({ ...base, reasoning_effort })),
      ...['low', 'medium', 'high', null].map((verbosity) => ({ ...base, verbosity })),
      { ...base, messages: [{ role: 'system', content: 's', name: 'Sys_1' }, { role: 'user', content: 'u', name: 'jane-doe' }, { role: 'assistant', content: 'a', name: 'Bot' }] },
      { ...base, stream: true, stream_options: { include_usage: true, include_obfuscation: false } },
      { ...base, logit_bias: { '42': -100, '43': 0, '44': 100 } },
      { ...base, tools: [fn, { type: 'custom', custom: { name: 'g' } }], tool_choice: { type: 'function', function: { name: 'f' } } },
      { ...base, temperature: -0, presence_penalty: -0 },
    ];
    for (const body of bodies) assert.doesNotThrow(() => validateChatRequest(body), JSON.stringify(body));
  });

  it('accepts data URLs and http(s) URLs of any case', () => {
    for (const url of ['data:image/png;base64,AAAA', 'HTTPS://x.test/a.png', 'http://x.test/a.png']) {
      assert.doesNotThrow(() => validateChatRequest({ ...base, messages: [image({ url })] }));
    }
  });
});

describe('error messages', () => {
  it("cut a long client value short: they are logged and sent back", () => {
    const role = 'x'.repeat(5000);
    assert.throws(
      () => validateChatRequest({ ...base, messages: [{ role, content: 'hi' }] }),
      (err: ApiError) => err.code === 'invalid_value' && err.message.length < 400 && err.message.includes(`'${'x'.repeat(50)}`) && err.message.includes('...'),
    );
  });
});
