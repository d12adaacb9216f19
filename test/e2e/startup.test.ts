// `npm start` as a person runs it: node src/main.ts with a config file and environment,
// the banner it prints, config mistakes that stop it, and the first-start API key.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai-upstream.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const LAUNCHER = fileURLToPath(new URL('../../bin/iris.mjs', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface Started {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** e.g. http://127.0.0.1:43121 */
  origin: string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Only what Iris needs: no IRIS_* or PORT leaking in from the test runner. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...extra };
}

function run(
  env: NodeJS.ProcessEnv,
  cwd: string,
  argv = [MAIN],
): { proc: ChildProcess; out: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code, signal) => resolve(signal ? null : code)));
  return { proc, out, exited };
}

/** Starts Iris and resolves once the banner says where it listens. */
async function startMain(env: NodeJS.ProcessEnv, cwd = REPO, argv = [MAIN]): Promise<Started> {
  const { proc, out, exited } = run(env, cwd, argv);
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 15 s:\n${out.stderr}\n${out.stdout}`)), 15_000);
    const check = () => {
      const match = /Iris is listening on (http:\/\/\S+)/.exec(out.stderr);
      // Wait for the whole banner (it ends with the SDK line).
      if (match && out.stderr.includes('OpenAI SDK:')) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    proc.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`iris exited (${code}) before listening:\n${out.stderr}\n${out.stdout}`));
    });
  });
  return {
    proc,
    origin,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs Iris expecting it to refuse to start. */
async function startFails(env: NodeJS.ProcessEnv, cwd = REPO): Promise<Exited> {
  const { proc, out, exited } = run(env, cwd);
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  const code = await exited;
  clearTimeout(timer);
  return { code, ...out };
}

describe('npm start', () => {
  let upstream: FakeOpenAI;
  let dir: string;
  before(async () => {
    upstream = await startFakeOpenAI();
    dir = mkdtempSync(join(tmpdir(), 'iris-start-'));
  });
  after(async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const yamlConfig = [
    'engine:',
    '  enabled: false',
    'providers:',
    '  local-vllm:',
    '    type: openai',
    '    base_url: ${UPSTREAM_URL}',
    '    api_key: ${UPSTREAM_KEY}',
    '    fetch_urls: upstream',
    'models:',
    '  - name: describer',
    '    provider: local-vllm',
    '    upstream: gpt-4o',
    '  - name: gpt-4o-mini',
    '    provider: local-vllm',
    '',
  ].join('\n');

  it('`iris serve` runs the server with the Node flags and environment of the start script', async () => {
    const config = join(dir, 'iris-serve.yaml');
    writeFileSync(config, yamlConfig);
    const env = cleanEnv({
      IRIS_CONFIG: config,
      IRIS_DATA_DIR: join(dir, 'data-serve'),
      IRIS_API_KEYS: 'sk-serve-test-key-123456',
      UPSTREAM_URL: upstream.url,
      UPSTREAM_KEY: 'k',
    });
    const iris = await startMain(env, REPO, [LAUNCHER, 'serve']);
    try {
      const health = await fetch(`${iris.origin}/health`);
      assert.equal(health.status, 200);
      // The launcher runs the server as its child: read the child's command line and environment.
      const children = readFileSync(`/proc/${iris.proc.pid}/task/${iris.proc.pid}/children`, 'utf8').trim().split(/\s+/);
      assert.equal(children.length, 1);
      const argv = readFileSync(`/proc/${children[0]}/cmdline`, 'utf8').split('\0');
      const environ = readFileSync(`/proc/${children[0]}/environ`, 'utf8').split('\0');
      const start = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts.start as string;
      for (const flag of start.split(/\s+/).filter((w) => w.startsWith('-'))) assert.ok(argv.includes(flag), `${flag} in ${argv.join(' ')}`);
      for (const variable of start.split(/\s+/).filter((w) => /^[A-Z_]+=/.test(w))) assert.ok(environ.includes(variable), `${variable} set`);
      assert.ok(argv.some((a) => a.endsWith('src/cli.ts')) && argv.includes('serve'));
    } finally {
      assert.equal(await iris.stop(), 0);
    }
  });

  it('starts from a YAML config with ${ENV} substitution, prints a banner, serves, stops on SIGTERM', async () => {
    const config = join(dir, 'iris.yaml');
    writeFileSync(config, yamlConfig);
    upstream.reset();
    const iris = await startMain(
      cleanEnv({
        IRIS_CONFIG: config,
        IRIS_DATA_DIR: join(dir, 'data-yaml'),
        IRIS_API_KEYS: 'sk-start-test-key-123456',
        UPSTREAM_URL: upstream.url,
        UPSTREAM_KEY: 'sk-from-env-upstream',
      }),
    );
    try {
      assert.match(iris.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
      const banner = iris.stderr();
      assert.match(banner, new RegExp(`config:\\s+${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(banner, /models:\s+describer, gpt-4o-mini/);
      assert.match(banner, new RegExp(`curl ${iris.origin}/v1/chat/completions`));
      assert.match(banner, /-H "Authorization: Bearer sk-start-test-key-123456"/);
      assert.match(banner, /"model":"describer"/);
      assert.match(banner, /auth:\s+on \(keys from IRIS_API_KEYS\)/);

      // The curl line's body is a valid request (sent with fetch; its image URL swapped for a
      // loopback one, and passed through to the fake upstream, never fetched).
      const curlBody = /-d '(.+)'/.exec(banner)?.[1];
      assert.ok(curlBody);
      const res = await fetch(`${iris.origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-start-test-key-123456', 'content-type': 'application/json' },
        body: curlBody.replace(/https:\/\/[^"]+/, 'http://127.0.0.1:9/photo.jpg'),
      });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content, 'I see 1 image. You said: What is in this image?');

      const client = new OpenAI({ baseURL: `${iris.origin}/v1`, apiKey: 'sk-start-test-key-123456', maxRetries: 0 });
      const completion = await client.chat.completions.create({ model: 'describer', messages: [{ role: 'user', content: 'hello' }] });
      assert.equal(completion.model, 'describer');
      assert.equal(completion.choices[0].message.content, 'I see 0 images. You said: hello');
      const sent = upstream.requests.at(-1)!;
      assert.equal(sent.headers.authorization, 'Bearer sk-from-env-upstream');
      assert.equal((sent.body as { model: string }).model, 'gpt-4o');
    } finally {
      assert.equal(await iris.stop(), 0, 'clean exit on SIGTERM');
    }
  });

  it('reads a JSON config', async () => {
    const config = join(dir, 'iris.json');
    writeFileSync(
      config,
      JSON.stringify({
        engine: { enabled: false },
        providers: { up: { type: 'openai', base_url: '${UPSTREAM_URL}' } },
        models: [{ name: 'json-model', provider: 'up', upstream: 'gpt-4o-mini' }],
      }),
    );
    const iris = await startMain(cleanEnv({ IRIS_CONFIG: config, IRIS_DATA_DIR: join(dir, 'data-json'), IRIS_API_KEYS: 'sk-json-key-12345678', UPSTREAM_URL: upstream.url }));
    try {
      assert.match(iris.stderr(), /models:\s+json-model\n/);
      const client = new OpenAI({ baseURL: `${iris.origin}/v1`, apiKey: 'sk-json-key-12345678', maxRetries: 0 });
      const models = await client.models.list();
      assert.deepEqual(models.data.map((m) => m.id), ['json-model']);
    } finally {
      assert.equal(await iris.stop(), 0);
    }
  });

  it('uses ./iris.config.yaml from the working directory when IRIS_CONFIG is not set', async () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    writeFileSync(join(cwd, 'iris.config.yaml'), yamlConfig);
    const iris = await startMain(
      cleanEnv({ IRIS_DATA_DIR: join(dir, 'data-cwd'), IRIS_API_KEYS: 'sk-cwd-key-12345678', UPSTREAM_URL: upstream.url, UPSTREAM_KEY: 'k' }),
      cwd,
    );
    try {
      assert.match(iris.stderr(), new RegExp(`config:\\s+${join(cwd, 'iris.config.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(iris.stderr(), /models:\s+describer, gpt-4o-mini/);
    } finally {
      const code = await iris.stop();
      assert.equal(code, 0, iris.stderr() + iris.stdout());
    }
  });

  describe('config mistakes stop start-up, naming the key at fault', { concurrency: true }, () => {
    const cases: { name: string; file: string; text: string; env?: Record<string, string>; says: RegExp[] }[] = [
      {
        name: 'a model on an unknown provider',
        file: 'bad-provider.yaml',
        text: 'engine: {enabled: false}\nproviders:\n  a: {type: openai, base_url: "http://127.0.0.1:9/v1"}\nmodels:\n  - {name: m, provider: nope}\n',
        says: [/models\[0\]\.provider/, /nope/],
      },
      { name: 'a port out of range', file: 'bad-port.yaml', text: 'engine: {enabled: false}\nserver:\n  port: 70000\n', env: { PORT: '' }, says: [/server\.port/] },
      { name: 'an unknown key', file: 'bad-key.yaml', text: 'engine: {enabled: false}\nserver:\n  prot: 8080\n', says: [/server/, /prot/] },
      {
        name: 'an unknown provider type',
        file: 'bad-type.yaml',
        text: 'engine: {enabled: false}\nproviders:\n  p: {type: bedrock, base_url: "http://127.0.0.1:9"}\n',
        says: [/providers\.p\.type/],
      },
      {
        name: 'a base_url that is not a URL',
        file: 'bad-url.yaml',
        text: 'engine: {enabled: false}\nproviders:\n  p: {type: openai, base_url: "not a url"}\n',
        says: [/providers\.p\.base_url/],
      },
      {
        name: 'an unset environment variable',
        file: 'bad-env.yaml',
        text: 'engine: {enabled: false}\nproviders:\n  p: {type: openai, base_url: "${IRIS_TEST_UNSET_URL}"}\n',
        says: [/providers\.p\.base_url/, /IRIS_TEST_UNSET_URL/],
      },
      { name: 'YAML that does not parse', file: 'bad-syntax.yaml', text: 'server:\n  port: [1, 2\n', says: [/cannot parse/, /bad-syntax\.yaml/] },
      { name: 'a JSON file that does not parse', file: 'bad.json', text: '{"server": ', says: [/cannot parse/, /bad\.json/] },
      { name: 'PORT that is not a number', file: 'ok.yaml', text: 'engine: {enabled: false}\n', env: { PORT: 'eighty' }, says: [/PORT/, /eighty/] },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const config = join(dir, c.file);
        writeFileSync(config, c.text);
        const result = await startFails(cleanEnv({ IRIS_CONFIG: config, IRIS_DATA_DIR: join(dir, 'data-bad'), IRIS_API_KEYS: 'sk-unused-key-123', ...c.env }));
        assert.notEqual(result.code, 0, 'non-zero exit');
        assert.notEqual(result.code, null, 'exited by itself');
        for (const pattern of c.says) assert.match(result.stderr, pattern);
        assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'a message, not a stack trace');
        assert.doesNotMatch(result.stderr, /listening/);
      });
    }

    it('IRIS_CONFIG naming a missing file', async () => {
      const result = await startFails(cleanEnv({ IRIS_CONFIG: join(dir, 'missing.yaml'), IRIS_DATA_DIR: join(dir, 'data-bad') }));
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /IRIS_CONFIG/);
      assert.match(result.stderr, /missing\.yaml/);
    });
  });

  it('creates, prints once and stores only the hash of a first key when none is configured', async () => {
    const config = join(dir, 'nokeys.yaml');
    writeFileSync(config, yamlConfig);
    const dataDir = join(dir, 'data-first');
    const env = cleanEnv({ IRIS_CONFIG: config, IRIS_DATA_DIR: dataDir, UPSTREAM_URL: upstream.url, UPSTREAM_KEY: 'k' });

    const first = await startMain(env);
    let key: string;
    try {
      const found = /^\s+(iris-[A-Za-z0-9_-]{32})$/m.exec(first.stderr());
      assert.ok(found, `a key in the banner:\n${first.stderr()}`);
      key = found[1];
      assert.match(first.stderr(), /shown only this once/);
      assert.match(first.stderr(), new RegExp(`Authorization: Bearer ${key}`));
      assert.equal(first.stdout().includes(key), false, 'the key is not in the logs');
      const stored = readFileSync(join(dataDir, 'api-keys.json'), 'utf8');
      assert.equal(stored.includes(key), false);
      assert.match(stored, /"sha256": "[0-9a-f]{64}"/);
      const client = new OpenAI({ baseURL: `${first.origin}/v1`, apiKey: key, maxRetries: 0 });
      assert.equal((await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })).object, 'chat.completion');
    } finally {
      assert.equal(await first.stop(), 0);
    }

    const second = await startMain(env);
    try {
      assert.equal(second.stderr().includes(key), false, 'the key is not printed again');
      assert.doesNotMatch(second.stderr(), /shown only this once/);
      assert.match(second.stderr(), /key hashes in/);
      const client = new OpenAI({ baseURL: `${second.origin}/v1`, apiKey: key, maxRetries: 0 });
      assert.equal((await client.models.list()).data.length, 2);
      const wrong = new OpenAI({ baseURL: `${second.origin}/v1`, apiKey: 'iris-not-the-key', maxRetries: 0 });
      await assert.rejects(wrong.models.list(), OpenAI.AuthenticationError);
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });
});
