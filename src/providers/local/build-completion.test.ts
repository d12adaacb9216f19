import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildChunks, buildCompletion, makeUsage, shapeAnswer, splitForStreaming } from './build-completion.ts';
import { countTokens } from '../../chat/count-tokens.ts';

const answer = 'There are 4 horses. The main colours are brown (39%) and blue (21%).';

describe('shapeAnswer', () => {
  it('keeps the whole answer by default', () => {
    assert.deepEqual(shapeAnswer(answer, {}), { content: answer, finishReason: 'stop' });
  });
  it('truncates to max_tokens / max_completion_tokens with finish_reason length', () => {
    const s = shapeAnswer(answer, { max_tokens: 5 });
    assert.equal(s.finishReason, 'length');
    assert.equal(countTokens(s.content), 5);
    assert.ok(answer.startsWith(s.content));
    assert.equal(countTokens(shapeAnswer(answer, { max_tokens: 50, max_completion_tokens: 3 }).content), 3);
  });
  it('cuts on a character boundary: no broken characters, never more tokens than the limit', () => {
    // o200k splits rare characters over several tokens; a cut between them must not leave half of one.
    const text = 'The text reads: "a 🦩🪼 b ꙮ c", 768×576 pixels…';
    for (let limit = 1; limit <= countTokens(text); limit++) {
      const s = shapeAnswer(text, { max_tokens: limit });
      assert.ok(!s.content.includes('\uFFFD'), `${limit}: ${JSON.stringify(s.content)}`);
      assert.ok(text.startsWith(s.content), `${limit}: ${JSON.stringify(s.content)}`);
      assert.ok(countTokens(s.content) <= limit, `${limit}: ${countTokens(s.content)} tokens`);
      assert.equal(s.finishReason, limit < countTokens(text) ? 'length' : 'stop');
    }
  });

  it('cuts at the first stop sequence', () => {
    assert.deepEqual(shapeAnswer(answer, { stop: ['colours', '.'] }), { content: 'There are 4 horses', finishReason: 'stop' });
    assert.deepEqual(shapeAnswer(answer, { stop: 'zebra' }), { content: answer, finishReason: 'stop' });
  });
});

describe('buildCompletion and buildChunks', () => {
  const shaped = { content: answer, finishReason: 'stop' as const };
  const usage = makeUsage(20, shaped, 2);

  it('builds n identical choices and counts completion tokens for all', () => {
    const c = buildCompletion('Image-Recognition', shaped, 2, usage);
    assert.match(c.id, /^chatcmpl-[0-9a-f]{24}$/);
    assert.equal(c.object, 'chat.completion');
    assert.equal(c.choices.length, 2);
    assert.deepEqual(c.choices[1], { index: 1, message: { role: 'assistant', content: answer, refusal: null }, finish_reason: 'stop', logprobs: null });
    assert.equal(c.usage!.completion_tokens, 2 * countTokens(answer));
    assert.equal(c.usage!.total_tokens, 20 + 2 * countTokens(answer));
  });

  it('streams a role chunk, content pieces, a finish chunk, then the usage chunk', () => {
    const chunks = [...buildChunks('Image-Recognition', shaped, 1, usage, 'chatcmpl-x', 1)];
    assert.deepEqual(chunks[0]!.choices[0]!.delta, { role: 'assistant', content: '' });
    const content = chunks.slice(1, -2).map((c) => c.choices[0]!.delta.content).join('');
    assert.equal(content, answer);
    assert.equal(chunks.at(-2)!.choices[0]!.finish_reason, 'stop');
    assert.deepEqual(chunks.at(-2)!.choices[0]!.delta, {});
    assert.deepEqual(chunks.at(-1)!.choices, []);
    assert.deepEqual(chunks.at(-1)!.usage, usage);
    assert.ok(chunks.every((c) => c.id === 'chatcmpl-x' && c.object === 'chat.completion.chunk'));
  });

  it('splits text into pieces that join back exactly', () => {
    for (const t of [answer, 'The text reads:\nHello\n  World ', '', 'one']) assert.equal(splitForStreaming(t).join(''), t);
    assert.ok(splitForStreaming(answer).length > 2);
  });
});
