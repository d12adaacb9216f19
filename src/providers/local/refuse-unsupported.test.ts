import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../openai/api-error.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import { refuseForcedTool, refuseOutputsItCannotGive } from './refuse-unsupported.ts';

const tools: ChatCompletionRequest['tools'] = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
const request = (extra: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({ model: 'Image-Recognition', messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('refuseForcedTool', () => {
  it('lets tools through when the model may answer in text', () => {
    for (const tool_choice of [undefined, 'auto', 'none'] as const) assert.doesNotThrow(() => refuseForcedTool(request({ tools, tool_choice })));
    assert.doesNotThrow(() => refuseForcedTool(request({ tools, tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } } })));
    assert.doesNotThrow(() => refuseForcedTool(request({ function_call: 'auto' })));
  });

  it('refuses a tool_choice that demands a tool call with a 400 naming tool_choice', () => {
    const forced: Partial<ChatCompletionRequest>[] = [
      { tools, tool_choice: 'required' },
      { tools, tool_choice: { type: 'function', function: { name: 'lookup' } } },
      { tools, tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [] } } },
      { function_call: { name: 'lookup' } },
    ];
    for (const extra of forced) {
      assert.throws(
        () => refuseForcedTool(request(extra)),
        (err: unknown) =>
          err instanceof ApiError &&
          err.status === 400 &&
          err.type === 'invalid_request_error' &&
          err.param === ('function_call' in extra ? 'function_call' : 'tool_choice') &&
          /cannot call tools/.test(err.message),
        JSON.stringify(extra),
      );
    }
  });
});

describe('refuseOutputsItCannotGive', () => {
  const refusedAt = (extra: Partial<ChatCompletionRequest>, param: string) =>
    assert.throws(
      () => refuseOutputsItCannotGive(request(extra)),
      (err: unknown) => err instanceof ApiError && err.status === 400 && err.param === param && err.code === 'unsupported_value',
    );

  it('refuses log probabilities and audio output, naming the parameter', () => {
    refusedAt({ logprobs: true }, 'logprobs');
    refusedAt({ logprobs: true, top_logprobs: 2 }, 'logprobs');
    refusedAt({ modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } }, 'modalities');
    refusedAt({ audio: { voice: 'alloy', format: 'wav' } }, 'audio');
  });

  it('lets through what asks for nothing it cannot give', () => {
    for (const extra of [{}, { logprobs: false }, { logprobs: null }, { modalities: ['text'] }, { audio: null }] as Partial<ChatCompletionRequest>[]) {
      assert.doesNotThrow(() => refuseOutputsItCannotGive(request(extra)), JSON.stringify(extra));
    }
  });
});
