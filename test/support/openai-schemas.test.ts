import assert, { AssertionError } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  assertChatCompletion,
  assertChatCompletionChunk,
  assertErrorResponse,
  assertModelList,
  schemaViolations,
} from './openai-schemas.ts';

type Obj = Record<string, any>;

// Examples copied from OpenAI's OpenAPI document (see the fixture's `source`).
const spec = JSON.parse(
  readFileSync(new URL('../fixtures/openai/spec-examples.json', import.meta.url), 'utf8'),
) as Obj;

const clone = <T>(value: T): T => structuredClone(value);

/** Runs `assertion` and returns the AssertionError's message; fails if nothing was thrown. */
function violationMessage(assertion: (value: unknown) => void, value: unknown): string {
  try {
    assertion(value);
  } catch (error) {
    assert.ok(error instanceof AssertionError, `expected an AssertionError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`expected a schema violation for ${JSON.stringify(value)}`);
}

function without(value: Obj, path: string[], key: string): Obj {
  const copy = clone(value);
  let target: Obj = copy;
  for (const step of path) target = target[step];
  delete target[key];
  return copy;
}

describe('assertChatCompletion', () => {
  it('accepts the spec examples', () => {
    assertChatCompletion(spec.chatCompletionObject);
    assertChatCompletion(spec.chatCompletionDefault);
    assertChatCompletion(spec.chatCompletionImageInput);
  });

  it('accepts tool calls with null content, several choices and usage with extra fields', () => {
    const body = clone(spec.chatCompletionDefault);
    body.choices = [
      body.choices[0],
      {
        index: 1,
        message: {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ];
    body.usage.prompt_tokens_details.image_tokens = 1000;
    body.usage.analysis = { model: 'Image-Recognition', images: 1 };
    body.system_fingerprint = 'fp_0123456789';
    assertChatCompletion(body);
  });

  for (const key of ['id', 'object', 'created', 'model', 'choices']) {
    it(`rejects a body without ${key}`, () => {
      const message = violationMessage(assertChatCompletion, without(spec.chatCompletionDefault, [], key));
      assert.match(message, new RegExp(`\\(root\\) must have required property '${key}'`));
    });
  }

  for (const key of ['index', 'message', 'finish_reason', 'logprobs']) {
    it(`rejects a choice without ${key}`, () => {
      const message = violationMessage(assertChatCompletion, without(spec.chatCompletionDefault, ['choices', '0'], key));
      assert.match(message, new RegExp(`/choices/0 must have required property '${key}'`));
    });
  }

  for (const key of ['role', 'content', 'refusal']) {
    it(`rejects a message without ${key}`, () => {
      const body = without(spec.chatCompletionDefault, ['choices', '0', 'message'], key);
      assert.match(violationMessage(assertChatCompletion, body), new RegExp(`/choices/0/message must have required property '${key}'`));
    });
  }

  it('rejects the older spec examples that omit message.refusal', () => {
    assert.match(violationMessage(assertChatCompletion, spec.nonConforming.chatCompletionFunctions), /refusal/);
    assert.match(violationMessage(assertChatCompletion, spec.nonConforming.chatCompletionLogprobs), /refusal/);
  });

  it('rejects wrong values and lists every violation with its path', () => {
    const body = clone(spec.chatCompletionDefault);
    body.object = 'chat.completion.chunk';
    body.created = '1741569952';
    body.choices[0].finish_reason = 'done';
    body.choices[0].message.role = 'user';
    body.choices[0].message.content = 42;
    body.usage = { prompt_tokens: 1, completion_tokens: 2 };
    const message = violationMessage(assertChatCompletion, body);
    for (const path of [
      '/object must be equal to one of the allowed values',
      '/created must be integer',
      '/choices/0/finish_reason must be equal to one of the allowed values',
      '/choices/0/message/role must be equal to one of the allowed values',
      '/choices/0/message/content must be string',
      "/usage must have required property 'total_tokens'",
    ]) {
      assert.ok(message.includes(path), `missing "${path}" in:\n${message}`);
    }
  });

  it('rejects a tool call without id or with a non-string arguments', () => {
    const body = clone(spec.chatCompletionDefault);
    body.choices[0].message.tool_calls = [{ type: 'function', function: { name: 'f', arguments: {} } }];
    const violations = schemaViolations('CreateChatCompletionResponse', body);
    assert.ok(violations.some((v) => v.includes('/choices/0/message/tool_calls/0')), violations.join('\n'));
  });

  it('rejects a non-integer or negative created time', () => {
    for (const created of [1741569952.5, -1]) {
      assert.match(violationMessage(assertChatCompletion, { ...spec.chatCompletionDefault, created }), /\/created/);
    }
  });
});

describe('assertChatCompletionChunk', () => {
  it('accepts the spec examples', () => {
    assert.ok(spec.chatCompletionChunks.length >= 3);
    for (const chunk of [...spec.chatCompletionChunks, ...spec.chatCompletionStreamingExample]) {
      assertChatCompletionChunk(chunk);
    }
  });

  it('accepts usage: null on content chunks and the usage-only final chunk', () => {
    const [first] = spec.chatCompletionChunks;
    assertChatCompletionChunk({ ...first, usage: null });
    assertChatCompletionChunk({
      ...first,
      choices: [],
      usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29, prompt_tokens_details: { cached_tokens: 0 } },
    });
  });

  it('accepts tool-call deltas carrying only index and an arguments fragment', () => {
    const [first] = spec.chatCompletionChunks;
    assertChatCompletionChunk({
      ...first,
      choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }, finish_reason: null }],
    });
  });

  it('rejects chunks missing required fields or with wrong values', () => {
    const [first] = spec.chatCompletionChunks;
    assert.match(violationMessage(assertChatCompletionChunk, without(first, [], 'id')), /required property 'id'/);
    assert.match(
      violationMessage(assertChatCompletionChunk, without(first, ['choices', '0'], 'finish_reason')),
      /\/choices\/0 must have required property 'finish_reason'/,
    );
    assert.match(
      violationMessage(assertChatCompletionChunk, without(first, ['choices', '0'], 'delta')),
      /\/choices\/0 must have required property 'delta'/,
    );
    assert.match(violationMessage(assertChatCompletionChunk, { ...first, object: 'chat.completion' }), /\/object/);
    const badDelta = clone(first);
    badDelta.choices[0].delta = { role: 'bot', tool_calls: [{ function: { arguments: 'x' } }] };
    const message = violationMessage(assertChatCompletionChunk, badDelta);
    assert.match(message, /\/choices\/0\/delta\/role must be equal to one of the allowed values/);
    assert.match(message, /\/choices\/0\/delta\/tool_calls\/0 must have required property 'index'/);
  });

  it('rejects a usage chunk whose usage lacks a required count', () => {
    const [first] = spec.chatCompletionChunks;
    const message = violationMessage(assertChatCompletionChunk, { ...first, choices: [], usage: { prompt_tokens: 1 } });
    assert.match(message, /\/usage must have required property 'completion_tokens'/);
  });
});

describe('assertErrorResponse', () => {
  const valid = {
    error: {
      message: 'The model `gpt-4o-2024-11-20` does not exist or you do not have access to it.',
      type: 'invalid_request_error',
      param: null,
      code: 'model_not_found',
    },
  };

  it('accepts OpenAI error bodies', () => {
    assertErrorResponse(valid);
    assertErrorResponse({ error: { message: 'bad', type: 'invalid_request_error', param: 'temperature', code: null } });
  });

  for (const key of ['message', 'type', 'param', 'code']) {
    it(`rejects an error without ${key}`, () => {
      assert.match(violationMessage(assertErrorResponse, without(valid, ['error'], key)), new RegExp(`/error must have required property '${key}'`));
    });
  }

  it("rejects vLLM's flat error shape and a bare string", () => {
    const flat = { object: 'error', message: 'bad', type: 'BadRequestError', param: null, code: 400 };
    assert.match(violationMessage(assertErrorResponse, flat), /required property 'error'/);
    assert.match(violationMessage(assertErrorResponse, 'Internal Server Error'), /must be object/);
    assert.match(violationMessage(assertErrorResponse, { error: { ...valid.error, code: 400 } }), /\/error\/code must be string/);
  });
});

describe('assertModelList', () => {
  it('accepts the spec example, with and without shutdown_date', () => {
    assertModelList(spec.modelList);
    assertModelList({ object: 'list', data: [spec.model, { id: 'm', object: 'model', created: 1, owned_by: 'iris' }] });
    assertModelList({ object: 'list', data: [] });
  });

  it('rejects malformed lists and models', () => {
    assert.match(violationMessage(assertModelList, { data: [] }), /required property 'object'/);
    assert.match(violationMessage(assertModelList, { object: 'list', data: [5] }), /\/data\/0 must be object/);
    const message = violationMessage(assertModelList, {
      object: 'list',
      data: [{ id: 'm', object: 'engine', created: 1 }, { ...spec.model, shutdown_date: 'soon' }],
    });
    assert.match(message, /\/data\/0 must have required property 'owned_by'/);
    assert.match(message, /\/data\/0\/object must be equal to one of the allowed values/);
    assert.match(message, /\/data\/1\/shutdown_date must match format "date"/);
  });
});
