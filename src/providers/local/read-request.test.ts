import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../openai/api-error.ts';
import { readRequest } from './read-request.ts';

const png = `data:image/png;base64,${Buffer.from('fake-bytes').toString('base64')}`;

describe('readRequest', () => {
  it('takes the question and images of the last user message, with their param paths', () => {
    const r = readRequest({
      model: 'Image-Recognition',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'How many dogs?' }, { type: 'image_url', image_url: { url: png } }, { type: 'image_url', image_url: { url: png } }] },
      ],
      response_format: { type: 'json_object' },
    });
    assert.equal(r.question, 'How many dogs?');
    assert.deepEqual(r.images.map((i) => i.param), ['messages[1].content[1].image_url.url', 'messages[1].content[2].image_url.url']);
    assert.equal(r.images[0]!.data.toString(), 'fake-bytes');
    assert.equal(r.json, true);
  });

  it('reads the start and end of a long question, where a question in a pasted document is', () => {
    const question = `Read this. ${'lorem ipsum '.repeat(20_000)}How many dogs are there?`;
    const r = readRequest({ model: 'Image-Recognition', messages: [{ role: 'user', content: [{ type: 'text', text: question }, { type: 'image_url', image_url: { url: png } }] }] });
    assert.ok(r.question.length < 2_100, `${r.question.length} chars`);
    assert.ok(r.question.startsWith('Read this. lorem ipsum'));
    assert.ok(r.question.endsWith('How many dogs are there?'));
    assert.match(r.question, / … /);
  });

  it('falls back to the images of an earlier user message for a follow-up', () => {
    const r = readRequest({
      model: 'm',
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: png } }] },
        { role: 'assistant', content: 'A dog.' },
        { role: 'user', content: 'And how many cats?' },
      ],
    });
    assert.equal(r.question, 'And how many cats?');
    assert.deepEqual(r.images.map((i) => i.param), ['messages[0].content[0].image_url.url']);
    assert.equal(r.json, false);
  });

  it('takes the question from the message just before when the last one is an image alone', () => {
    // Some clients send the question and the image as two user messages.
    const r = readRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'How many dogs are there?' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: png } }] },
      ],
    });
    assert.equal(r.question, 'How many dogs are there?');
    assert.deepEqual(r.images.map((i) => i.param), ['messages[1].content[0].image_url.url']);
    // Not across an answer: a picture sent after one is a new request to describe it.
    const later = readRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'How many dogs are there?' },
        { role: 'assistant', content: 'I need an image to answer.' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: png } }] },
      ],
    });
    assert.equal(later.question, '');
  });

  it('rejects a URL that is not inline with invalid_image and its param', () => {
    assert.throws(
      () => readRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } }] }] }),
      (err: unknown) => err instanceof ApiError && err.status === 400 && err.code === 'invalid_image' && err.param === 'messages[0].content[0].image_url.url',
    );
  });
});
