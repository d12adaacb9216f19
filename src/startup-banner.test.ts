import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { loadConfig } from './config/load-config.ts';
import { bannerText, SAMPLE_IMAGE_DATA_URL, type BannerInfo } from './startup-banner.ts';

function banner(overrides: Partial<BannerInfo> = {}, raw: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): string {
  const config = loadConfig({ raw, env });
  return bannerText({ config, host: config.server.host, port: 8080, models: [{ name: 'Image-Recognition', vision: true }], createdKey: null, ...overrides });
}

describe('bannerText', () => {
  it('says plainly when Iris listens on every interface, and gives the local address to try', () => {
    const text = banner();
    assert.match(text, /listening on all interfaces \(0\.0\.0\.0:8080\): other machines can reach it too/);
    assert.match(text, /From this machine: http:\/\/127\.0\.0\.1:8080\n/);
    assert.match(text, /curl http:\/\/127\.0\.0\.1:8080\/v1\/chat\/completions/);
    assert.match(banner({ host: '::' }), /all interfaces \(\[::\]:8080\)/);
  });

  it('points out a base_url whose requests would all get a 404', () => {
    const providers = { ollama: { type: 'openai', base_url: 'http://127.0.0.1:11434' } };
    const text = banner({}, { providers, models: [{ name: 'llava', provider: 'ollama' }] });
    assert.match(text, /\n {2}check: {3}providers\.ollama\.base_url \(http:\/\/127\.0\.0\.1:11434\) has no path; .*did you mean http:\/\/127\.0\.0\.1:11434\/v1\?\n/);
    assert.doesNotMatch(banner(), /check:/);
  });

  it('gives the one address when Iris listens on one', () => {
    assert.match(banner({ host: '127.0.0.1', port: 19175 }), /Iris is listening on http:\/\/127\.0\.0\.1:19175\n/);
    assert.match(banner({ host: '::1' }), /Iris is listening on http:\/\/\[::1\]:8080\n/);
    assert.doesNotMatch(banner({ host: '127.0.0.1' }), /all interfaces/);
  });

  it('never prints a key from IRIS_API_KEYS: the curl line reads $IRIS_API_KEY', () => {
    for (const keys of ['sk-only-one-key-123456', 'sk-one-key-aaaaaaaa,sk-two-key-bbbbbbbb']) {
      const text = banner({}, {}, { IRIS_API_KEYS: keys });
      for (const key of keys.split(',')) assert.equal(text.includes(key), false);
      assert.match(text, /-H "Authorization: Bearer \$IRIS_API_KEY"/);
      assert.match(text, /# first: export IRIS_API_KEY=<one of the keys in IRIS_API_KEYS>/);
    }
    assert.match(banner(), /export IRIS_API_KEY=<the key printed on the first start>\n {4}# \(lost it\? stop Iris, delete \S+\/api-keys\.json and start again for a new one\)\n/);
  });

  it('names the config as the keys\' source when they come from auth.keys, never printing them', () => {
    const text = banner({}, { auth: { keys: ['sk-from-the-file-123456'] } });
    assert.equal(text.includes('sk-from-the-file-123456'), false);
    assert.match(text, /auth:\s+on \(keys from auth\.keys\)/);
    assert.match(text, /# first: export IRIS_API_KEY=<one of the keys in auth\.keys>/);
    assert.doesNotMatch(text, /IRIS_API_KEYS/);
  });

  it('puts a key created on this start in the curl line (it is shown this once)', () => {
    const text = banner({ createdKey: 'iris-created-key' });
    assert.match(text, /shown only this once/);
    assert.match(text, /-H "Authorization: Bearer iris-created-key"/);
    assert.doesNotMatch(text, /export IRIS_API_KEY/);
  });

  it('leaves the key out when auth is off', () => {
    const text = banner({}, { auth: { enabled: false } });
    assert.match(text, /auth:\s+OFF/);
    assert.doesNotMatch(text, /Authorization|IRIS_API_KEY/);
    // Still a key for the SDK, which will not start without one.
    assert.match(text, /new OpenAI\(\{ baseURL: '[^']+', apiKey: 'unused' \}\)/);
  });

  it("sends the sample image to the first model, in a body a shell's single quotes keep whole", () => {
    const body = /-d '(.+)'/.exec(banner({ models: [{ name: 'first', vision: true }, { name: 'second', vision: true }] }))?.[1];
    assert.ok(body);
    const request = JSON.parse(body) as { model: string; messages: { content: { image_url?: { url: string } }[] }[] };
    assert.equal(request.model, 'first');
    assert.equal(request.messages[0].content[1].image_url?.url, SAMPLE_IMAGE_DATA_URL);
  });

  /** The JSON body of the banner's curl line, as the shell passes it on. */
  const curlBody = (text: string) => {
    const quoted = /-d '((?:[^']|'\\'')*)'\n/.exec(text)?.[1];
    assert.ok(quoted, text);
    return JSON.parse(quoted.replaceAll("'\\''", "'")) as { model: string; messages: { content: string | { type: string }[] }[] };
  };

  it('sends the sample image to the first model that sees: a text-only one would refuse it', () => {
    const request = curlBody(banner({ models: [{ name: 'llama', vision: false }, { name: 'llava', vision: true }] }));
    assert.equal(request.model, 'llava');
    assert.ok(Array.isArray(request.messages[0].content) && request.messages[0].content.some((part) => part.type === 'image_url'));
  });

  it('asks a text-only question when no model sees images', () => {
    const request = curlBody(banner({ models: [{ name: 'llama', vision: false }, { name: 'mistral', vision: false }] }));
    assert.equal(request.model, 'llama');
    assert.equal(typeof request.messages[0].content, 'string');
  });

  it("keeps the curl line whole for a model name with a single quote in it", () => {
    assert.equal(curlBody(banner({ models: [{ name: "o'brien", vision: true }] })).model, "o'brien");
  });

  it('says which models are still loading', () => {
    const text = banner({ models: [{ name: 'Image-Recognition', vision: true, loading: true }, { name: 'gpt-4o', vision: true }] });
    assert.match(text, /\n {2}models: {2}Image-Recognition \(loading\), gpt-4o\n/);
    assert.match(banner(), /\n {2}models: {2}Image-Recognition\n/);
  });

  it('says whether Redis (REDIS_URL) answers, without its password', () => {
    // Passwords holding '@' or '/' (the first is a URL, the second not even that).
    for (const [url, shown] of [
      ['redis://:p@ss@127.0.0.1:6379/0', 'redis://127.0.0.1:6379/0'],
      ['rediss://default:hunter22@127.0.0.1:6379/0', 'rediss://127.0.0.1:6379/0'],
      ['redis://user:pa/ss@127.0.0.1:6379/0', '(not shown: it may hold credentials)'],
    ]) {
      const text = banner({ redis: { url, error: null } });
      assert.doesNotMatch(text, /p@ss|pa\/ss|hunter22|default:/, url);
      assert.ok(text.includes(`shared in Redis at ${shown}\n`), text);
    }
    const shared = banner({ redis: { url: 'redis://:hunter22@127.0.0.1:6379/0', error: null } });
    assert.match(shared, /\n {2}cache: {3}shared in Redis at redis:\/\/127\.0\.0\.1:6379\/0\n/);
    assert.equal(shared.includes('hunter22'), false);
    const down = banner({ redis: { url: 'redis://127.0.0.1:1', error: 'connect ECONNREFUSED 127.0.0.1:1' } });
    assert.match(down, /\n {2}cache: {3}in memory: Redis at redis:\/\/127\.0\.0\.1:1 does not answer \(connect ECONNREFUSED 127\.0\.0\.1:1\); shared once it does \(REDIS_URL \/ redis_url\)\n/);
    assert.doesNotMatch(banner(), /cache:/);
  });

  it('has a sample image that is a small, valid, solid-colour PNG', async () => {
    const bytes = Buffer.from(SAMPLE_IMAGE_DATA_URL.slice('data:image/png;base64,'.length), 'base64');
    assert.ok(bytes.length < 300, `${bytes.length} bytes`);
    const stats = await sharp(bytes).stats();
    const meta = await sharp(bytes).metadata();
    assert.equal(meta.format, 'png');
    assert.ok(stats.isOpaque && stats.channels.every((c) => c.min === c.max), 'one colour');
  });
});
