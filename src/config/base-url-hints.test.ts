import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseUrlHints } from './base-url-hints.ts';

test('names a base_url that every request would answer with a 404, and says what was meant', () => {
  const hints = baseUrlHints({
    ollama: { type: 'openai', base_url: 'http://127.0.0.1:11434/' },
    claude: { type: 'anthropic', base_url: 'https://api.anthropic.com/v1' },
    google: { type: 'gemini', base_url: 'https://generativelanguage.googleapis.com/v1beta/' },
  } as never);
  assert.deepEqual(hints, [
    'providers.ollama.base_url (http://127.0.0.1:11434/) has no path; OpenAI-compatible servers serve under /v1: did you mean http://127.0.0.1:11434/v1?',
    'providers.claude.base_url (https://api.anthropic.com/v1) ends in /v1, which Iris adds itself (/v1/messages): did you mean https://api.anthropic.com?',
    'providers.google.base_url (https://generativelanguage.googleapis.com/v1beta/) ends in a version, which Iris adds itself (/v1beta/models/…): did you mean https://generativelanguage.googleapis.com?',
  ]);
});

test('names a base_url that is a whole endpoint, whose path Iris would add again', () => {
  const hints = baseUrlHints({
    vllm: { type: 'openai', base_url: 'http://127.0.0.1:8000/v1/chat/completions' },
    claude: { type: 'anthropic', base_url: 'https://api.anthropic.com/v1/messages' },
    google: { type: 'gemini', base_url: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent' },
  } as never);
  assert.deepEqual(hints, [
    'providers.vllm.base_url (http://127.0.0.1:8000/v1/chat/completions) is a whole endpoint; Iris adds /chat/completions itself: did you mean http://127.0.0.1:8000/v1?',
    'providers.claude.base_url (https://api.anthropic.com/v1/messages) is a whole endpoint; Iris adds /v1/messages itself: did you mean https://api.anthropic.com?',
    'providers.google.base_url (https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent) is a whole endpoint; Iris adds /v1beta/models/… itself: did you mean https://generativelanguage.googleapis.com?',
  ]);
});

test("never shows a base_url's user or password", () => {
  const [hint] = baseUrlHints({ proxy: { type: 'openai', base_url: 'http://iris:s3cret-pass@127.0.0.1:8000' } } as never);
  assert.ok(!hint.includes('s3cret-pass'), hint);
  assert.match(hint, /^providers\.proxy\.base_url \(http:\/\/127\.0\.0\.1:8000\/\) has no path/);
});

test('says nothing of the usual forms, a proxy mount, or a provider without base_url', () => {
  const hints = baseUrlHints({
    vllm: { type: 'openai', base_url: 'http://127.0.0.1:8000/v1' },
    gemini_oai: { type: 'openai', base_url: 'https://generativelanguage.googleapis.com/v1beta/openai/' },
    claude: { type: 'anthropic', base_url: 'https://api.anthropic.com' },
    proxied: { type: 'anthropic', base_url: 'https://gateway.example.com/anthropic' },
    google: { type: 'gemini' },
  } as never);
  assert.deepEqual(hints, []);
});
