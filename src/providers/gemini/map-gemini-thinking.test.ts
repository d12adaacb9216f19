import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReasoningEffort } from '../../openai/types.ts';
import { mapGeminiThinking } from './map-gemini-thinking.ts';

test('no effort, and models that cannot think, get no thinkingConfig', () => {
  assert.equal(mapGeminiThinking(undefined, 'gemini-2.5-flash'), undefined);
  assert.equal(mapGeminiThinking(null, 'gemini-3-pro-preview'), undefined);
  for (const model of ['gemini-2.0-flash', 'gemini-1.5-pro', 'gemma-3-27b-it']) assert.equal(mapGeminiThinking('high', model), undefined, model);
});

test('Gemini 2.5 and ids without a version get budgets, up to each model\'s ceiling, with the thoughts shown', () => {
  const cases: Array<[ReasoningEffort, string, number]> = [
    ['minimal', 'gemini-2.5-flash', 512],
    ['low', 'gemini-2.5-flash', 1024],
    ['medium', 'gemini-2.5-flash-lite', 8192],
    ['high', 'gemini-2.5-pro', 24576],
    ['xhigh', 'gemini-2.5-flash', 24576],
    ['max', 'gemini-2.5-pro', 32768],
    ['high', 'gemini-flash-latest', 24576],
  ];
  for (const [effort, model, budget] of cases) {
    assert.deepEqual(mapGeminiThinking(effort, model), { thinkingBudget: budget, includeThoughts: true }, `${effort} on ${model}`);
  }
});

test('none turns Gemini 2.5 thinking off, but for Pro, which only goes down to 128 tokens', () => {
  assert.deepEqual(mapGeminiThinking('none', 'gemini-2.5-flash'), { thinkingBudget: 0 });
  assert.deepEqual(mapGeminiThinking('none', 'gemini-2.5-pro'), { thinkingBudget: 128 });
});

test('Gemini 3 and later get levels, within what each model takes', () => {
  const cases: Array<[ReasoningEffort, string, string]> = [
    ['minimal', 'gemini-3-flash-preview', 'minimal'],
    ['low', 'gemini-3-flash-preview', 'low'],
    ['medium', 'gemini-3-flash-preview', 'medium'],
    ['high', 'gemini-3-flash-preview', 'high'],
    ['max', 'gemini-3-flash-preview', 'high'],
    ['minimal', 'gemini-3-pro-preview', 'low'],
    ['medium', 'gemini-3-pro-preview', 'high'],
    ['medium', 'gemini-3.1-pro-preview', 'medium'],
    ['xhigh', 'models/gemini-3.1-pro-preview', 'high'],
  ];
  for (const [effort, model, level] of cases) {
    assert.deepEqual(mapGeminiThinking(effort, model), { thinkingLevel: level, includeThoughts: true }, `${effort} on ${model}`);
  }
});

test('none on Gemini 3, which cannot stop thinking, asks for the least and shows none of it', () => {
  assert.deepEqual(mapGeminiThinking('none', 'gemini-3-flash-preview'), { thinkingLevel: 'minimal' });
  assert.deepEqual(mapGeminiThinking('none', 'gemini-3-pro-preview'), { thinkingLevel: 'low' });
});
