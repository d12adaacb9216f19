import assert from 'node:assert/strict';
import { test } from 'node:test';
import { geminiVersion } from './gemini-model-version.ts';

test('reads major and minor from the model id, or nothing when it names none', () => {
  assert.deepEqual(geminiVersion('gemini-2.5-flash'), { major: 2, minor: 5 });
  assert.deepEqual(geminiVersion('models/gemini-3.1-pro-preview'), { major: 3, minor: 1 });
  assert.deepEqual(geminiVersion('gemini-3-flash-preview'), { major: 3, minor: 0 });
  assert.deepEqual(geminiVersion('Gemini-1.5-Pro'), { major: 1, minor: 5 });
  assert.equal(geminiVersion('gemini-flash-latest'), undefined);
  assert.equal(geminiVersion('gemini-fake-1'), undefined);
});
