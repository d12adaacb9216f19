// `npm start` as a person runs it: node src/main.ts with a config file and environment,
// the banner it prints, config mistakes that stop it, and the first-start API key.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai-upstream.ts';
import { cleanEnv, type Exited, hasCommand, LAUNCHER, REPO, run, startFails, startMain, until } from '../support/run-main.ts';

const hasCurl = hasCommand('curl');

/** Whether a Redis server answers a PING on 127.0.0.1:6379. */
function redisAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(6379, '127.0.0.1');
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.destroy();
    });
    socket.once('close', () => resolve(false));
    socket.once('error', () => resolve(false));
  });
}

/**
 * The banner's curl command as a shell would run it: its URL, its -H headers and its -d body,
 * with $VARIABLES in double quotes expanded from `env`.
 */
function curlFromBanner(banner: string, env: Record<string, string>): { url: string; headers: Record<string, string>; body: string } {
  const command = /^\s+curl (.+?)\n\s*\n/ms.exec(banner)?.[1];
  assert.ok(command, `a curl command in:\n${banner}`);
  const joined = command.replace(/\\\n\s*/g, '');
  const expand = (text: string) => text.replace(/\$([A-Z_]+)/g, (_, name: string) => env[name] ?? '');
  const headers: Record<string, string> = {};
  for (const [, header] of joined.matchAll(/-H "([^"]*)"/g)) {
    const [name, ...value] = expand(header).split(':');
    headers[name.trim().toLowerCase()] = value.join(':').trim();
  }
  const body = /-d '([^']*)'/.exec(joined)?.[1];
  assert.ok(body, `a -d '…' body in: ${joined}`);
  return { url: joined.split(/\s+/)[0], headers, body };
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
    // Where to listen and the config come as options this time, not as variables.
    const { HOST: _host, PORT: _port, ...env } = cleanEnv({
      IRIS_DATA_DIR: join(dir, 'data-serve'),
      IRIS_API_KEYS: 'sk-serve-test-key-123456',
      UPSTREAM_URL: upstream.url,
      UPSTREAM_KEY: 'k',
    });
    const iris = await startMain(env, REPO, [LAUNCHER, 'serve', '--host', '127.0.0.1', '--port', '0', '--config', config]);
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
      assert.match(iris.stderr(), /models:\s+describer, gpt-4o-mini/);
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
      assert.equal(banner.includes('sk-start-test-key-123456'), false, 'a configured key is never printed');
      assert.match(banner, /-H "Authorization: Bearer \$IRIS_API_KEY"/);
      assert.match(banner, /"model":"describer"/);
      assert.match(banner, /auth:\s+on \(keys from IRIS_API_KEYS\)/);

      // The curl line as a shell would run it, with IRIS_API_KEY exported as the banner says.
      const curl = curlFromBanner(banner, { IRIS_API_KEY: 'sk-start-test-key-123456' });
      assert.equal(curl.url, `${iris.origin}/v1/chat/completions`);
      const res = await fetch(curl.url, { method: 'POST', headers: curl.headers, body: curl.body });
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
      { name: 'an unknown key', file: 'bad-key.yaml', text: 'engine: {enabled: false}\nserver:\n  prot: 8080\n', says: [/bad-key\.yaml/, /line 3: server: unknown key "prot" \(did you mean "port"\?\)/] },
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
        says: [/bad-env\.yaml/, /line 3: providers\.p\.base_url: environment variable IRIS_TEST_UNSET_URL is not set/],
      },
      { name: 'YAML that does not parse', file: 'bad-syntax.yaml', text: 'server:\n  port: [1, 2\n', says: [/cannot parse/, /bad-syntax\.yaml/] },
      { name: 'a JSON file that does not parse', file: 'bad.json', text: '{"server": ', says: [/cannot parse/, /bad\.json/] },
      { name: 'PORT that is not a number', file: 'ok.yaml', text: 'engine: {enabled: false}\n', env: { PORT: 'eighty' }, says: [/PORT/, /eighty/] },
      { name: 'a blank PORT', file: 'ok.yaml', text: 'engine: {enabled: false}\n', env: { PORT: ' ' }, says: [/PORT: " " is not a port number/] },
      { name: 'PORT out of range, named as PORT', file: 'ok.yaml', text: 'engine: {enabled: false}\n', env: { PORT: '99999' }, says: [/PORT \(server\.port\): must be 0–65535/] },
      {
        name: 'a model named like the engine model',
        file: 'engine-name.yaml',
        text: 'providers:\n  local: {type: openai, base_url: "http://127.0.0.1:9/v1"}\nmodels:\n  - {name: Image-Recognition, provider: local}\n',
        says: [/models\[0\]\.name: "Image-Recognition" is the embedded engine's model/],
      },
      {
        name: 'analysis.model naming no served model',
        file: 'analysis-model.yaml',
        text: 'engine: {enabled: false}\nanalysis: {model: describer}\n',
        says: [/analysis\.model: no model named "describer"/],
      },
      { name: 'a config file that is a list', file: 'list.yaml', text: '- server\n- port\n', says: [/list\.yaml: the config file must be a mapping/] },
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

    it('IRIS_CONFIG naming a directory', async () => {
      const result = await startFails(cleanEnv({ IRIS_CONFIG: dir, IRIS_DATA_DIR: join(dir, 'data-bad') }));
      assert.equal(result.code, 2);
      assert.match(result.stderr, /IRIS_CONFIG names .*, which is a directory/);
      assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/);
    });

    it('IRIS_CONFIG naming a missing file', async () => {
      const result = await startFails(cleanEnv({ IRIS_CONFIG: join(dir, 'missing.yaml'), IRIS_DATA_DIR: join(dir, 'data-bad') }));
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /IRIS_CONFIG/);
      assert.match(result.stderr, /missing\.yaml/);
    });
  });

  describe('other start-up failures say what to fix in one line, without a stack', { concurrency: true }, () => {
    const oneLine = (result: Exited) => {
      assert.equal(result.code, 1, result.stderr);
      assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'a message, not a stack trace');
      assert.doesNotMatch(result.stderr, /listening/);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    };

    it('the port is in use', async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const { port } = taken.address() as AddressInfo;
      try {
        const config = join(dir, 'in-use.yaml');
        writeFileSync(config, 'engine: {enabled: false}\n');
        const result = await startFails(cleanEnv({ IRIS_CONFIG: config, IRIS_DATA_DIR: join(dir, 'data-in-use'), IRIS_API_KEYS: 'sk-unused-key-123', PORT: String(port) }));
        oneLine(result);
        assert.match(result.stderr, new RegExp(`^iris: port ${port} is already in use on 127\\.0\\.0\\.1 \\(PORT / server\\.port\\)`));
      } finally {
        taken.close();
      }
    });

    it('a first start that fails to listen keeps no key nobody saw: the next start creates and prints one', async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const { port } = taken.address() as AddressInfo;
      const config = join(dir, 'first-in-use.yaml');
      writeFileSync(config, 'engine: {enabled: false}\n');
      const dataDir = join(dir, 'data-first-in-use');
      try {
        oneLine(await startFails(cleanEnv({ IRIS_CONFIG: config, IRIS_DATA_DIR: dataDir, PORT: String(port) })));
      } finally {
        taken.close();
      }
      const iris = await startMain(cleanEnv({ IRIS_CONFIG: config, IRIS_DATA_DIR: dataDir }));
      try {
        assert.match(iris.stderr(), /shown only this once/);
        assert.match(iris.stderr(), /^\s+iris-[A-Za-z0-9_-]{32}$/m);
      } finally {
        assert.equal(await iris.stop(), 0);
      }
    });

    it('the key file in the data directory is corrupt', async () => {
      const config = join(dir, 'corrupt-keys.yaml');
      writeFileSync(config, 'engine: {enabled: false}\n');
      const dataDir = join(dir, 'data-corrupt');
      mkdirSync(dataDir);
      writeFileSync(join(dataDir, 'api-keys.json'), '{"keys": [');
      const result = await startFails(cleanEnv({ IRIS_CONFIG: config, IRIS_DATA_DIR: dataDir }));
      oneLine(result);
      assert.match(result.stderr, /api-keys\.json is not valid JSON/);
      assert.match(result.stderr, /delete it and restart/);
    });
  });

  it("the banner's curl line, pasted on a fresh start with no config, gets the engine's answer", async () => {
    const cwd = mkdtempSync(join(dir, 'fresh-'));
    const iris = await startMain(cleanEnv({ IRIS_DATA_DIR: join(cwd, 'data') }), cwd);
    try {
      const banner = iris.stderr();
      // The engine loads for about a second after Iris listens: the banner says so, then says when it is ready.
      assert.match(banner, /models:\s+Image-Recognition \(loading\)\n/);
      await until(() => /^ {2}Image-Recognition is ready\.$/m.test(iris.stderr()), `a ready line in:\n${iris.stderr()}`);
      const curl = curlFromBanner(banner, {});
      assert.match(curl.headers.authorization, /^Bearer iris-[A-Za-z0-9_-]{32}$/, 'the key created on this start');
      const res = await fetch(curl.url, { method: 'POST', headers: curl.headers, body: curl.body });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      const completion = JSON.parse(text) as { model: string; choices: { message: { content: string } }[] };
      assert.equal(completion.model, 'Image-Recognition');
      assert.match(completion.choices[0].message.content, /red/);
    } finally {
      assert.equal(await iris.stop(), 0);
    }
  });

  it("the banner's curl line, run by a shell, reaches a model that sees when the first one is text-only", { skip: !hasCurl && 'needs curl' }, async () => {
    const config = join(dir, 'text-first.yaml');
    writeFileSync(
      config,
      ['engine: {enabled: false}', 'providers:', '  up: {type: openai, base_url: "${UPSTREAM_URL}"}', 'models:', '  - {name: writer, provider: up, vision: false}', '  - {name: looker, provider: up}', ''].join('\n'),
    );
    upstream.reset();
    const iris = await startMain(cleanEnv({ IRIS_CONFIG: config, IRIS_DATA_DIR: join(dir, 'data-text-first'), IRIS_API_KEYS: 'sk-text-first-key-123', UPSTREAM_URL: upstream.url }));
    try {
      const command = /^\s+(curl .+?)\n\s*\n/ms.exec(iris.stderr())?.[1];
      assert.ok(command, iris.stderr());
      // Not execFileSync: the fake upstream answers from this process.
      const { stdout: out } = await promisify(execFile)('bash', ['-c', `${command} -sS`], { env: { PATH: process.env.PATH, IRIS_API_KEY: 'sk-text-first-key-123' }, encoding: 'utf8' });
      const completion = JSON.parse(out) as { model: string; choices: { message: { content: string } }[] };
      assert.equal(completion.model, 'looker', out);
      assert.equal(completion.choices[0].message.content, 'I see 1 image. You said: What is in this image?');
    } finally {
      assert.equal(await iris.stop(), 0);
    }
  });

  it('REDIS_URL that does not answer: Iris starts, caches in memory, and the banner says so', async () => {
    const config = join(dir, 'redis-down.yaml');
    writeFileSync(config, 'engine: {enabled: false}\n');
    const iris = await startMain(cleanEnv({ IRIS_CONFIG: config, IRIS_DATA_DIR: join(dir, 'data-redis'), IRIS_API_KEYS: 'sk-redis-key-12345678', REDIS_URL: 'redis://:pw-secret@127.0.0.1:1' }));
    try {
      assert.match(iris.stderr(), /\n {2}cache: {3}in memory: Redis at redis:\/\/127\.0\.0\.1:1 does not answer \(.*ECONNREFUSED.*\); shared once it does \(REDIS_URL \/ redis_url\)\n/);
      assert.equal(iris.stderr().includes('pw-secret'), false, 'no password on screen');
      assert.equal((await fetch(`${iris.origin}/health`)).status, 200);
    } finally {
      assert.equal(await iris.stop(), 0);
    }
  });

  it('REDIS_URL that answers: the banner says the cache is shared', async (t) => {
    if (!(await redisAnswers())) return t.skip('needs Redis on 127.0.0.1:6379');
    const config = join(dir, 'redis-up.yaml');
    writeFileSync(config, 'engine: {enabled: false}\n');
    const iris = await startMain(cleanEnv({ IRIS_CONFIG: config, IRIS_DATA_DIR: join(dir, 'data-redis'), IRIS_API_KEYS: 'sk-redis-key-12345678', REDIS_URL: 'redis://127.0.0.1:6379' }));
    try {
      assert.match(iris.stderr(), /\n {2}cache: {3}shared in Redis at redis:\/\/127\.0\.0\.1:6379\n/);
    } finally {
      assert.equal(await iris.stop(), 0);
    }
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

describe('the iris command', { concurrency: true }, () => {
  const iris = async (...args: string[]): Promise<Exited> => {
    const { proc, out, exited } = run(cleanEnv({ PORT: '1' }), REPO, [LAUNCHER, ...args]);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return { code, ...out };
  };

  it("`iris serve --help` prints serve's own help (its options and environment) and starts nothing", async () => {
    const result = await iris('serve', '--help');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: iris serve \[options\]/);
    assert.match(result.stdout, /--port N/);
    for (const variable of ['IRIS_API_KEYS', 'IRIS_DATA_DIR', 'LOG_LEVEL', 'REDIS_URL']) assert.match(result.stdout, new RegExp(`\\n {2}${variable} `));
    assert.doesNotMatch(result.stdout, /--prompt/, 'not describe\'s options');
    assert.doesNotMatch(result.stderr, /listening/);
    const describe = await iris('describe', '--help');
    assert.equal(describe.code, 0);
    assert.match(describe.stdout, /^Usage: iris describe \[options\] FILE\|URL/);
    assert.doesNotMatch(describe.stdout, /--port/);
    const all = await iris('--help');
    assert.match(all.stdout, /\nserve options \(each sets[\s\S]*\ndescribe options:\n/);
  });

  it('`iris serve` refuses an option it does not know, with status 2', async () => {
    const result = await iris('serve', '--prot', '19177');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^iris serve: Unknown option '--prot'/);
    assert.doesNotMatch(result.stderr, /listening/);
  });

  it('`iris --version` prints the version', async () => {
    const result = await iris('--version');
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
  });

  it('`iris` with no command prints the help to stderr, with status 2', async () => {
    const result = await iris();
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^iris — /);
  });
});
