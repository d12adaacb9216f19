// API keys: Bearer, x-api-key or x-goog-api-key; 401 invalid_api_key otherwise; /health open;
// keys from IRIS_API_KEYS; with none configured, one created on first start and kept as a hash.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startIris, type RunningIris } from '../support/start-iris.ts';
import { assertErrorResponse, assertModelList } from '../support/openai-schemas.ts';
import { startStack, type Stack } from './e2e-setup.ts';

const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

function postChat(origin: string, headers: Record<string, string>) {
  return fetch(`${origin}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: chatBody });
}

async function expect401(res: Response): Promise<{ message: string; code: string | null; type: string }> {
  const text = await res.text();
  assert.equal(res.status, 401, text);
  const body = JSON.parse(text);
  assertErrorResponse(body);
  assert.equal(body.error.code, 'invalid_api_key');
  return body.error;
}

describe('auth with configured keys', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('accepts the key as Authorization: Bearer (the SDK)', async () => {
    const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(completion.object, 'chat.completion');
  });

  for (const header of ['x-api-key', 'x-goog-api-key']) {
    it(`accepts the key as ${header}`, async () => {
      const res = await postChat(stack.iris.origin, { [header]: stack.iris.apiKey });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(((await res.json()) as { object: string }).object, 'chat.completion');
    });
  }

  it('accepts a lower-case bearer scheme', async () => {
    assert.equal((await postChat(stack.iris.origin, { authorization: `bearer ${stack.iris.apiKey}` })).status, 200);
  });

  it('401 invalid_api_key without a key, and nothing reaches the upstream', async () => {
    stack.upstream.reset();
    const error = await expect401(await postChat(stack.iris.origin, {}));
    assert.match(error.message, /API key/);
    assert.equal(stack.upstream.requests.length, 0);
  });

  it('401 invalid_api_key for a wrong key, without echoing it whole', async () => {
    const wrong = 'sk-wrong-key-0123456789-SECRET';
    const variants: Record<string, string>[] = [{ authorization: `Bearer ${wrong}` }, { 'x-api-key': wrong }, { 'x-goog-api-key': wrong }];
    for (const headers of variants) {
      const error = await expect401(await postChat(stack.iris.origin, headers));
      assert.doesNotMatch(error.message, /0123456789-SECRET/);
    }
  });

  it('401 for a key one character off, a prefix of the key, or an empty Bearer', async () => {
    const key = stack.iris.apiKey;
    for (const presented of [`${key.slice(0, -1)}X`, key.slice(0, -1), `${key}x`, '']) {
      await expect401(await postChat(stack.iris.origin, { authorization: `Bearer ${presented}` }));
    }
  });

  it('401 for a key sent in Authorization without its "Bearer ", saying the form it must take', async () => {
    const error = await expect401(await postChat(stack.iris.origin, { authorization: stack.iris.apiKey }));
    assert.equal(error.message, "The Authorization header holds no Bearer key. Send it as 'Authorization: Bearer YOUR_KEY' (or in an 'x-api-key' header).");
    const none = await expect401(await postChat(stack.iris.origin, {}));
    assert.match(none.message, /^You didn't provide an API key\. /);
  });

  it('401 for a Basic authorization header', async () => {
    const basic = Buffer.from(`user:${stack.iris.apiKey}`).toString('base64');
    await expect401(await postChat(stack.iris.origin, { authorization: `Basic ${basic}` }));
  });

  it("accepts the key as Basic auth's password with a blank user name, as OpenAI does (curl -u :KEY)", async () => {
    const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
    assert.equal((await postChat(stack.iris.origin, { authorization: basic(`:${stack.iris.apiKey}`) })).status, 200);
    const error = await expect401(await postChat(stack.iris.origin, { authorization: basic(':sk-wrong-key-0123456789') }));
    assert.match(error.message, /^Incorrect API key provided/);
    await expect401(await postChat(stack.iris.origin, { authorization: basic(':') }));
  });

  it('takes the key from the next header when one holds none: a proxy\'s Basic, an empty header', async () => {
    const key = stack.iris.apiKey;
    const basic = `Basic ${Buffer.from('proxy-user:proxy-pass').toString('base64')}`;
    const combos: Record<string, string>[] = [
      { authorization: basic, 'x-api-key': key },
      { authorization: basic, 'x-goog-api-key': key },
      { 'x-api-key': '', 'x-goog-api-key': key },
      { authorization: 'Bearer ', 'x-api-key': key },
    ];
    for (const headers of combos) {
      const res = await postChat(stack.iris.origin, headers);
      assert.equal(res.status, 200, `${JSON.stringify(Object.keys(headers))}: ${await res.clone().text()}`);
    }
  });

  it('a wrong key in an earlier header is not skipped for a right one in a later header', async () => {
    await expect401(await postChat(stack.iris.origin, { authorization: 'Bearer sk-wrong-key-123456789', 'x-api-key': stack.iris.apiKey }));
    await expect401(await postChat(stack.iris.origin, { 'x-api-key': 'sk-wrong-key-123456789', 'x-goog-api-key': stack.iris.apiKey }));
  });

  it('the SDK raises AuthenticationError for a wrong key', async () => {
    const client = new OpenAI({ baseURL: stack.iris.baseURL, apiKey: 'sk-nope-nope-nope', maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.AuthenticationError);
      assert.equal(err.code, 'invalid_api_key');
      return true;
    });
    await assert.rejects(client.models.list(), OpenAI.AuthenticationError);
  });

  it('/v1/models needs a key too', async () => {
    await expect401(await fetch(`${stack.iris.baseURL}/models`));
    const res = await fetch(`${stack.iris.baseURL}/models`, { headers: { 'x-api-key': stack.iris.apiKey } });
    assert.equal(res.status, 200);
    assertModelList(await res.json());
  });

  it('/health needs no key', async () => {
    const res = await fetch(`${stack.iris.origin}/health`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ok');
  });

  it('never logs the key', async () => {
    await postChat(stack.iris.origin, { authorization: `Bearer ${stack.iris.apiKey}` });
    await postChat(stack.iris.origin, { 'x-api-key': 'sk-wrong-key-for-the-log-test' });
    const text = JSON.stringify(stack.iris.logs);
    assert.equal(text.includes(stack.iris.apiKey), false);
    assert.equal(text.includes('sk-wrong-key-for-the-log-test'), false);
  });
});

describe('keys from IRIS_API_KEYS', () => {
  let iris: RunningIris;
  before(async () => {
    iris = await startIris({ auth: {} }, { env: { IRIS_API_KEYS: 'sk-first-key-aaaaaaaa, sk-second-key-bbbbbbbb,' } });
  });
  after(() => iris.close());

  it('accepts each comma-separated key (trimmed) and refuses others', async () => {
    for (const key of ['sk-first-key-aaaaaaaa', 'sk-second-key-bbbbbbbb']) {
      const client = new OpenAI({ baseURL: iris.baseURL, apiKey: key, maxRetries: 0 });
      const list = await client.models.list();
      assert.deepEqual(list.data, []);
    }
    await expect401(await fetch(`${iris.baseURL}/models`, { headers: { authorization: 'Bearer sk-first-key-aaaaaaaa, sk-second-key-bbbbbbbb' } }));
    await expect401(await fetch(`${iris.baseURL}/models`, { headers: { authorization: `Bearer ${iris.apiKey}` } }));
  });
});

describe('a first key created when none is configured', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'iris-keys-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates one key on the first start, keeps only its hash, and does not create another later', async () => {
    const first = await startIris({ auth: {}, data_dir: dataDir });
    let key: string;
    try {
      key = first.iris.createdKey ?? '';
      assert.match(key, /^iris-[A-Za-z0-9_-]{32}$/);
      const files = readdirSync(dataDir);
      assert.deepEqual(files, ['api-keys.json']);
      const text = readFileSync(join(dataDir, 'api-keys.json'), 'utf8');
      assert.equal(text.includes(key), false, 'the plain key is not stored');
      assert.equal(text.includes(key.slice(5)), false, 'nor its random part');
      const stored = JSON.parse(text) as { keys: { sha256: string }[] };
      assert.equal(stored.keys.length, 1);
      assert.match(stored.keys[0].sha256, /^[0-9a-f]{64}$/);
      assert.equal((statSync(join(dataDir, 'api-keys.json')).mode & 0o077), 0, 'readable by the owner only');
      const client = new OpenAI({ baseURL: first.baseURL, apiKey: key, maxRetries: 0 });
      assert.equal((await client.models.list()).object, 'list');
      await expect401(await fetch(`${first.baseURL}/models`, { headers: { authorization: `Bearer ${first.apiKey}` } }));
    } finally {
      await first.close();
    }

    const second = await startIris({ auth: {}, data_dir: dataDir });
    try {
      assert.equal(second.iris.createdKey, null);
      const client = new OpenAI({ baseURL: second.baseURL, apiKey: key, maxRetries: 0 });
      assert.equal((await client.models.list()).object, 'list');
      const stored = JSON.parse(readFileSync(join(dataDir, 'api-keys.json'), 'utf8')) as { keys: unknown[] };
      assert.equal(stored.keys.length, 1);
    } finally {
      await second.close();
    }
  });
});

describe('auth switched off', () => {
  let iris: RunningIris;
  before(async () => {
    iris = await startIris({ auth: { enabled: false } });
  });
  after(() => iris.close());

  it('serves /v1 without a key', async () => {
    const res = await fetch(`${iris.baseURL}/models`);
    assert.equal(res.status, 200);
    assertModelList(await res.json());
    assert.equal(iris.iris.createdKey, null);
  });
});
