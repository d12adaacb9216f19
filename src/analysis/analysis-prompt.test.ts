import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_ANALYSIS_PROMPT, renderAnalysisPrompt } from './analysis-prompt.ts';

test('the default prompt asks for verbatim text and carries the question', () => {
  const prompt = renderAnalysisPrompt(DEFAULT_ANALYSIS_PROMPT, 'How much is due?');
  assert.match(prompt, /transcribe all visible text verbatim/i);
  assert.match(prompt, /"How much is due\?"/);
  assert.ok(!prompt.includes('{question}'));
});

test('without a question the line that would hold it is dropped', () => {
  const prompt = renderAnalysisPrompt(DEFAULT_ANALYSIS_PROMPT, '');
  assert.ok(!prompt.includes('{question}'));
  assert.ok(!prompt.includes('The user asked'));
  assert.match(prompt, /verbatim/);
  assert.equal(renderAnalysisPrompt('Say {question} twice: {question}', 'hi'), 'Say hi twice: hi');
});

test('the question is put in as written: `$` sequences are not replacement patterns', () => {
  const question = "Is the price $$5 or $&? And what about $' and $`?";
  assert.equal(renderAnalysisPrompt('Asked: "{question}". Describe.', question), `Asked: "${question}". Describe.`);
});
