import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claudeVersion, type ClaudeVersion } from './claude-version.ts';

test('reads the version from the model id, as Anthropic, Bedrock and Vertex spell it', () => {
  const cases: Array<[string, ClaudeVersion]> = [
    ['claude-3-haiku-20240307', 30],
    ['claude-3-5-sonnet-20241022', 35],
    ['anthropic.claude-3-5-sonnet-20240620-v1:0', 35],
    ['claude-3-5-haiku@20241022', 35],
    ['claude-3-7-sonnet-latest', 37],
    ['claude-sonnet-4-20250514', 40],
    ['claude-opus-4-0', 40],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 45],
    ['claude-opus-4-6', 46],
    ['claude-opus-4-7', 47],
    ['claude-opus-4-7-20260416', 47],
    ['us.anthropic.claude-opus-4-7-20260416-v1:0', 47],
    ['claude-opus-4-7@20260416', 47],
    ['claude-opus-4-8-1m', 48],
    ['anthropic/claude-opus-4.7', 47],
    ['claude-3.7-sonnet', 37],
    ['claude-sonnet-4.5', 45],
    ['CLAUDE-OPUS-5', 50],
    ['claude-2.1', 21],
    ['claude-2', 20],
    ['anthropic.claude-v2:1', 20],
    ['claude-instant-1.2', 12],
    ['anthropic.claude-instant-v1', 10],
    ['claude-mythos-preview', 'newer-family'],
    ['claude-fake-1', 'newer-family'],
    ['deepseek-chat', 'not-claude'],
  ];
  for (const [model, version] of cases) assert.equal(claudeVersion(model), version, model);
});
