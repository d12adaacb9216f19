import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, substituteEnv } from './load-config.ts';

/** The ConfigError message that loading `raw` with `env` throws. */
function failure(raw: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadConfig({ raw, env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

const provider = { type: 'openai', base_url: 'http://127.0.0.1:8000/v1' };

describe('substituteEnv', () => {
  it('replaces ${NAME} in every string, nested in objects and arrays', () => {
    const out = substituteEnv({ a: 'x-${A}-y', list: ['${B}', 3, true, null], deep: { k: '${A}${B}' } }, { A: '1', B: 'two' });
    assert.deepEqual(out, { a: 'x-1-y', list: ['two', 3, true, null], deep: { k: '1two' } });
  });

  it('uses ${NAME:-default} when NAME is unset or empty, the value otherwise', () => {
    assert.equal(substituteEnv('${X:-fallback}', {}), 'fallback');
    assert.equal(substituteEnv('${X:-fallback}', { X: '' }), 'fallback');
    assert.equal(substituteEnv('${X:-fallback}', { X: 'set' }), 'set');
    assert.equal(substituteEnv('${X:-}', {}), '');
  });

  it('throws naming the key and the variable when a variable is unset', () => {
    assert.throws(() => substituteEnv({ providers: { p: { api_key: '${OPENAI_KEY}' } } }, {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^providers\.p\.api_key: /);
      assert.match(err.message, /OPENAI_KEY/);
      return true;
    });
    assert.throws(() => substituteEnv({ models: [{ name: 'a' }, { name: '${M}' }] }, {}), /models\[1\]\.name: .*M is not set/);
    assert.throws(() => substituteEnv({ k: '${EMPTY}' }, { EMPTY: '' }), /EMPTY is not set/);
  });

  it('keeps what it substitutes as text, whatever it looks like', () => {
    assert.deepEqual(substituteEnv({ a: '${N}', b: '${B}', c: '${N:-7}' }, { N: '12345678', B: 'true' }), { a: '12345678', b: 'true', c: '12345678' });
  });

  it('reads $${ as a literal ${, with no variable needed', () => {
    assert.equal(substituteEnv('pa$${SS}word and ${A}', { A: 'x' }), 'pa${SS}word and x');
  });

  it('leaves $NAME without braces and malformed references alone', () => {
    assert.equal(substituteEnv('$HOME and ${1BAD} and ${}', { HOME: '/h' }), '$HOME and ${1BAD} and ${}');
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iris-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fills defaults for an empty config', () => {
    const config = loadConfig({ raw: {}, env: {} });
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.server.port, 8080);
    assert.equal(config.server.log_level, 'info');
    assert.equal(config.auth.enabled, true);
    assert.deepEqual(config.auth.keys, []);
    assert.equal(config.limits.max_body_bytes, 50_000_000);
    assert.equal(config.engine.enabled, true);
    assert.equal(config.engine.model_name, 'Image-Recognition');
    assert.deepEqual(config.models, []);
    assert.equal(config.source, null);
  });

  it('applies environment overrides over the file', () => {
    const config = loadConfig({
      raw: { server: { host: '0.0.0.0', port: 1234, log_level: 'debug' }, data_dir: '/from/file', auth: { keys: ['sk-from-file-1'] } },
      env: { HOST: '127.0.0.1', PORT: '9999', LOG_LEVEL: 'warn', IRIS_DATA_DIR: '/from/env', IRIS_API_KEYS: ' sk-env-one-11, ,sk-env-two-22 ,', REDIS_URL: 'redis://127.0.0.1:6379' },
    });
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 9999);
    assert.equal(config.server.log_level, 'warn');
    assert.equal(config.data_dir, '/from/env');
    assert.deepEqual(config.auth.keys, ['sk-env-one-11', 'sk-env-two-22']);
    assert.equal(config.redis_url, 'redis://127.0.0.1:6379');
  });

  it('keeps the file values when no override is set, PORT=0 included', () => {
    const config = loadConfig({ raw: { server: { port: 1234 } }, env: {} });
    assert.equal(config.server.port, 1234);
    assert.equal(loadConfig({ raw: {}, env: { PORT: '0' } }).server.port, 0);
  });

  it('refuses a PORT that is not a whole number, blank included, naming PORT', () => {
    assert.match(failure({}, { PORT: 'http' }), /PORT: "http" is not a port number/);
    assert.match(failure({}, { PORT: ' ' }), /PORT: " " is not a port number/);
    assert.match(failure({}, { PORT: '80.5' }), /PORT: "80.5" is not a port number/);
  });

  it('names the environment variable that set a bad value, and the key it set', () => {
    assert.match(failure({}, { PORT: '99999' }), /^ {2}PORT \(server\.port\): must be 0–65535$/m);
    assert.match(failure({}, { IRIS_API_KEYS: 'sk-long-enough-1,short' }), /^ {2}IRIS_API_KEYS \(auth\.keys\[1\]\): /m);
    assert.match(failure({}, { LOG_LEVEL: 'loud' }), /^ {2}LOG_LEVEL \(server\.log_level\): /m);
    assert.match(failure({ server: { port: 99999 } }), /^ {2}server\.port: must be 0–65535$/m, 'the key alone when the file set it');
  });

  it('names the key at fault, for each fault', () => {
    const message = failure({
      server: { port: 70000, prot: 1 },
      providers: { up: provider, 'bad id!': provider },
      limits: { max_body_bytes: -1 },
    });
    assert.match(message, /^invalid configuration:/);
    assert.match(message, /^ {2}server\.port: /m);
    assert.match(message, /^ {2}server: .*prot/m);
    assert.match(message, /^ {2}limits\.max_body_bytes: /m);
    assert.match(message, /^ {2}providers\.bad id!: .*provider ids use letters/m);
  });

  it('takes CORS origins as "*" or scheme and host, naming the entry at fault', () => {
    assert.deepEqual(loadConfig({ raw: { server: { cors_origins: ['https://app.example.com', 'http://127.0.0.1:3000'] } }, env: {} }).server.cors_origins, [
      'https://app.example.com',
      'http://127.0.0.1:3000',
    ]);
    assert.equal(loadConfig({ raw: {}, env: {} }).server.cors_origins, undefined);
    assert.match(failure({ server: { cors_origins: ['https://app.example.com/page'] } }), /^ {2}server\.cors_origins\[0\]: must be "\*" or an origin/m);
    assert.match(failure({ server: { cors_origins: ['*', 'app.example.com'] } }), /^ {2}server\.cors_origins\[1\]: /m);
  });

  it('takes image host entries as host, *.domain or address with an optional port, naming the entry at fault', () => {
    const good = ['images.example.com', '*.example.com', 'cdn.example.com:8443', '10.0.0.5', '10.0.0.5:8080', '[::1]', '[::1]:8080', '::1', 'fe80::1', 'LOCALHOST.'];
    assert.deepEqual(loadConfig({ raw: { images: { fetch: { deny_hosts: good, allow_hosts: [' a.example '] } } }, env: {} }).images.fetch.allow_hosts, ['a.example']);
    // Each would match no host, so a deny list holding it would fail open.
    for (const bad of ['https://evil.example', 'evil.example/path', 'user@evil.example', '10.0.0.0/8', 'evil example', '', 'a.example:0', 'a.example:70000', '[::1]:99999', 'dead:beef', 'a:b:c', '[1.2.3.4]']) {
      assert.match(failure({ images: { fetch: { deny_hosts: ['ok.example', bad] } } }), /^ {2}images\.fetch\.deny_hosts\[1\]: /m, bad);
    }
    assert.match(failure({ images: { fetch: { allow_hosts: ['http://127.0.0.1:8080'] } } }), /allow_hosts\[0\]: must be a host name, \*\.domain or IP address/);
  });

  it('names models on unknown providers and duplicate model names', () => {
    const message = failure({ providers: { up: provider }, models: [{ name: 'a', provider: 'nope' }, { name: 'a', provider: 'up' }] });
    assert.match(message, /^ {2}models\[0\]\.provider: unknown provider "nope" \(configured: up\)/m);
    assert.match(message, /^ {2}models\[1\]\.name: duplicate model "a"/m);
    assert.match(failure({ models: [{ name: 'a', provider: 'x' }] }), /models\[0\]\.provider: unknown provider "x" \(configured: none\)/);
  });

  it('says what is wrong in plain words: required, the type written, sizes, and the key a typo meant', () => {
    assert.match(failure({ providers: { p: { type: 'openai' } } }), /^ {2}providers\.p\.base_url: required \(a string\)$/m);
    assert.match(failure({ server: { port: 'abc' } }), /^ {2}server\.port: must be a number, not a string \("abc"\)$/m);
    assert.match(failure({ providers: [] }), /^ {2}providers: must be a mapping \(key: value\), not a list$/m);
    assert.match(failure({ auth: { keys: ['short'] } }), /^ {2}auth\.keys\[0\]: must be at least 8 characters long$/m);
    assert.match(failure({ provders: {} }), /^ {2}\(root\): unknown key "provders" \(did you mean "providers"\?\)$/m);
    assert.match(failure({ providers: { p: { type: 'openai', baseurl: 'http://127.0.0.1:9/v1' } } }), /unknown key "baseurl" \(did you mean "base_url"\?\)/);
    assert.match(failure({ providers: { p: { ...provider, Timeout_MS: 5 } } }), /unknown key "Timeout_MS" \(did you mean "timeout_ms"\?\)/);
    // Each provider type's own keys count: `default_max_tokens` is Anthropic's.
    assert.match(failure({ providers: { c: { type: 'anthropic', default_max_token: 5 } } }), /unknown key "default_max_token" \(did you mean "default_max_tokens"\?\)/);
    // Nothing near: the keys known there are listed.
    assert.match(failure({ limits: { zzz: 1 } }), /^ {2}limits: unknown key "zzz" \(known here: max_body_bytes, inflight_body_bytes\)$/m);
    // The schema's own words stay.
    assert.match(failure({ server: { port: 99999 } }), /^ {2}server\.port: must be 0–65535$/m);
  });

  it('names every unset ${VAR} at once, each where it is written', () => {
    const message = failure({ auth: { keys: ['${IRIS_TEST_UNSET_A}'] }, providers: { p: { ...provider, api_key: '${IRIS_TEST_UNSET_B}' } } });
    assert.equal(
      message,
      'invalid configuration:\n  auth.keys[0]: environment variable IRIS_TEST_UNSET_A is not set\n  providers.p.api_key: environment variable IRIS_TEST_UNSET_B is not set',
    );
  });

  it('takes `image_tokens: tiles` as short for { formula: tiles }', () => {
    const config = loadConfig({ raw: { providers: { up: provider }, models: [{ name: 'm', provider: 'up', image_tokens: 'patches' }] }, env: {} });
    assert.deepEqual(config.models[0].image_tokens, { formula: 'patches' });
    assert.match(failure({ providers: { up: provider }, models: [{ name: 'm', provider: 'up', image_tokens: 'tile' }] }), /models\[0\]\.image_tokens\.formula: /);
  });

  it('names nested provider keys', () => {
    assert.match(failure({ providers: { p: { type: 'openai' } } }), /providers\.p\.base_url/);
    assert.match(failure({ providers: { p: { ...provider, timeout_ms: 0 } } }), /providers\.p\.timeout_ms/);
    assert.match(failure({ providers: { p: { ...provider, base_url: 'ftp://x' } } }), /providers\.p\.base_url/);
    assert.match(failure({ providers: { p: { type: 'bedrock' } } }), /providers\.p\.type/);
    assert.match(failure({ models: [{ provider: 'x' }] }), /models\[0\]\.name/);
    assert.match(failure({ auth: { keys: ['short'] } }), /auth\.keys\[0\]/);
  });

  it('substitutes environment variables before validating', () => {
    const config = loadConfig({
      raw: { providers: { up: { type: 'openai', base_url: '${BASE}', api_key: '${KEY}' } }, models: [{ name: '${NAME:-vision}', provider: 'up' }] },
      env: { BASE: 'http://127.0.0.1:11434/v1', KEY: 'sk-secret' },
    });
    const up = config.providers.up;
    assert.equal(up.type, 'openai');
    assert.equal(up.base_url, 'http://127.0.0.1:11434/v1');
    assert.equal(up.api_key, 'sk-secret');
    assert.equal(config.models[0].name, 'vision');
    assert.match(failure({ providers: { up: { type: 'openai', base_url: '${UNSET_BASE}' } } }), /providers\.up\.base_url: environment variable UNSET_BASE is not set/);
  });

  it('reads the YAML file named by IRIS_CONFIG, relative to cwd, and names it in errors', () => {
    writeFileSync(join(dir, 'a.yaml'), 'server:\n  port: 7000\nengine:\n  enabled: false\n');
    const config = loadConfig({ env: { IRIS_CONFIG: 'a.yaml' }, cwd: dir });
    assert.equal(config.server.port, 7000);
    assert.equal(config.engine.enabled, false);
    assert.equal(config.source, join(dir, 'a.yaml'));
    writeFileSync(join(dir, 'b.yaml'), 'server:\n  port: -1\n');
    assert.throws(() => loadConfig({ env: { IRIS_CONFIG: 'b.yaml' }, cwd: dir }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, new RegExp(`invalid configuration in ${join(dir, 'b.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(err.message, /server\.port/);
      return true;
    });
  });

  it('gives the line of the key at fault in a YAML or JSON file', () => {
    const fails = (name: string, text: string, env: NodeJS.ProcessEnv = {}) => {
      writeFileSync(join(dir, name), text);
      try {
        loadConfig({ env: { IRIS_CONFIG: join(dir, name), ...env } });
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return err.message;
      }
      return assert.fail('expected a ConfigError');
    };
    assert.match(fails('line-port.yaml', 'engine:\n  enabled: false\nserver:\n  host: 127.0.0.1\n  port: 70000\n'), /^ {2}line 5: server\.port: must be 0–65535$/m);
    assert.match(fails('line-key.yaml', 'server:\n  host: 127.0.0.1\n  prot: 8080\n'), /^ {2}line 3: server: unknown key "prot" \(did you mean "port"\?\)$/m);
    assert.match(fails('line-model.yaml', 'providers:\n  up: {type: openai, base_url: "http://127.0.0.1:1/v1"}\nmodels:\n  - {name: a, provider: up}\n  - name: b\n    provider: nope\n'), /^ {2}line 6: models\[1\]\.provider: unknown provider "nope"/m);
    assert.match(fails('line.json', '{\n  "server": {\n    "port": "x"\n  }\n}\n'), /^ {2}line 3: server\.port: /m);
    // A value set by an environment variable is not in the file: no line for it.
    assert.match(fails('line-env.yaml', 'server:\n  host: 127.0.0.1\n', { PORT: '99999' }), /^ {2}PORT \(server\.port\): must be 0–65535$/m);
  });

  it('names the file and the line of a ${VAR} that is not set', () => {
    const file = join(dir, 'unset.yaml');
    writeFileSync(file, 'engine:\n  enabled: false\nproviders:\n  p: {type: openai, base_url: "${IRIS_UNSET_BASE}"}\n');
    assert.throws(() => loadConfig({ env: { IRIS_CONFIG: file } }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `invalid configuration in ${file}:\n  line 4: providers.p.base_url: environment variable IRIS_UNSET_BASE is not set`);
      return true;
    });
  });

  it('reads JSON when the file ends in .json', () => {
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ server: { port: 7001 }, providers: { up: provider }, models: [{ name: 'm', provider: 'up', upstream: 'gpt-4o' }] }));
    const config = loadConfig({ env: { IRIS_CONFIG: join(dir, 'c.json') } });
    assert.equal(config.server.port, 7001);
    assert.equal(config.models[0].upstream, 'gpt-4o');
  });

  it('uses ./iris.config.yaml when present and IRIS_CONFIG is unset, defaults otherwise', () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    assert.equal(loadConfig({ env: {}, cwd }).source, null);
    writeFileSync(join(cwd, 'iris.config.yaml'), 'server:\n  port: 7002\n');
    const config = loadConfig({ env: {}, cwd });
    assert.equal(config.server.port, 7002);
    assert.equal(config.source, join(cwd, 'iris.config.yaml'));
  });

  it('treats an empty YAML file as all defaults', () => {
    writeFileSync(join(dir, 'empty.yaml'), '# nothing yet\n');
    assert.equal(loadConfig({ env: { IRIS_CONFIG: join(dir, 'empty.yaml') } }).server.port, 8080);
  });

  it('refuses a missing IRIS_CONFIG file and unparsable files, naming the file', () => {
    assert.throws(() => loadConfig({ env: { IRIS_CONFIG: join(dir, 'missing.yaml') } }), /IRIS_CONFIG names .*missing\.yaml, which does not exist/);
    writeFileSync(join(dir, 'broken.yaml'), 'server: [1, 2\n');
    assert.throws(() => loadConfig({ env: { IRIS_CONFIG: join(dir, 'broken.yaml') } }), /cannot parse .*broken\.yaml/);
    writeFileSync(join(dir, 'broken.json'), '{"server":');
    assert.throws(() => loadConfig({ env: { IRIS_CONFIG: join(dir, 'broken.json') } }), /cannot parse .*broken\.json/);
  });

  it('says an unquoted ${VAR} inside { … } must be quoted, where YAML only says its syntax is wrong', () => {
    const file = join(dir, 'flow-var.yaml');
    writeFileSync(file, 'providers:\n  p: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: ${KEY} }\n');
    assert.throws(() => loadConfig({ env: { IRIS_CONFIG: file, KEY: 'sk-x' } }), /cannot parse .*\n[\s\S]*\n {2}\(a \$\{VAR\} written inside \{ … \} or \[ … \] must be quoted: "\$\{VAR\}"\)$/);
    writeFileSync(file, 'server: { port: 80\n');
    assert.throws(() => loadConfig({ env: { IRIS_CONFIG: file } }), (err: Error) => !err.message.includes('must be quoted'));
  });

  it('says a config file must be a mapping when it is a list or plain text', () => {
    writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
    assert.throws(() => loadConfig({ env: { IRIS_CONFIG: join(dir, 'list.yaml') } }), /list\.yaml: the config file must be a mapping of settings \(key: value\), not a list/);
    writeFileSync(join(dir, 'text.yaml'), 'just some words\n');
    assert.throws(() => loadConfig({ env: { IRIS_CONFIG: join(dir, 'text.yaml') } }), /text\.yaml: the config file must be a mapping .*not plain text/);
    writeFileSync(join(dir, 'list.json'), '[1, 2]');
    assert.throws(() => loadConfig({ env: { IRIS_CONFIG: join(dir, 'list.json') } }), /must be a mapping/);
  });

  it('tolerates a byte-order mark at the start of a YAML or JSON file', () => {
    writeFileSync(join(dir, 'bom.yaml'), '\uFEFFserver:\n  port: 7005\n');
    assert.equal(loadConfig({ env: { IRIS_CONFIG: join(dir, 'bom.yaml') } }).server.port, 7005);
    writeFileSync(join(dir, 'bom.json'), '\uFEFF{"server": {"port": 7006}}');
    assert.equal(loadConfig({ env: { IRIS_CONFIG: join(dir, 'bom.json') } }).server.port, 7006);
  });

  it('refuses an IRIS_CONFIG that names a directory', () => {
    assert.throws(() => loadConfig({ env: { IRIS_CONFIG: dir } }), /IRIS_CONFIG names .*, which is a directory/);
  });

  it('reads ./iris.config.yml too, and refuses to guess when both it and .yaml exist', () => {
    const cwd = mkdtempSync(join(dir, 'yml-'));
    writeFileSync(join(cwd, 'iris.config.yml'), 'server:\n  port: 7007\n');
    assert.equal(loadConfig({ env: {}, cwd }).server.port, 7007);
    writeFileSync(join(cwd, 'iris.config.yaml'), 'server:\n  port: 7008\n');
    assert.throws(() => loadConfig({ env: {}, cwd }), /both .*iris\.config\.yaml and .*iris\.config\.yml exist/);
  });

  it('does not read a file when config is given directly', () => {
    const cwd = mkdtempSync(join(dir, 'raw-'));
    writeFileSync(join(cwd, 'iris.config.yaml'), 'server:\n  port: 7003\n');
    const config = loadConfig({ raw: { server: { port: 7004 } }, env: {}, cwd });
    assert.equal(config.server.port, 7004);
    assert.equal(config.source, null);
  });
});

it('a substituted value is a number or boolean only where the key wants one', () => {
  const env = { T: '2500', ON: 'false', NAME: '123abc', NUM: '12345678', YES: 'true' };
  const config = loadConfig({
    raw: {
      server: { port: '${T}' },
      engine: { enabled: '${ON}' },
      providers: { p: { type: 'openai', base_url: 'http://127.0.0.1:1/v1', api_key: '${NAME}', timeout_ms: '${T}' } },
    },
    env,
  });
  assert.equal(config.server.port, 2500);
  assert.equal(config.engine.enabled, false);
  assert.equal(config.providers.p.timeout_ms, 2500);
  assert.equal(config.providers.p.api_key, '123abc');
  const strings = loadConfig({
    raw: {
      providers: { p: { type: 'openai', base_url: 'http://127.0.0.1:1/v1', api_key: '${NUM}', headers: { 'x-flag': '${YES}' } } },
      models: [{ name: '${NUM}', provider: 'p', upstream: '${YES}' }],
    },
    env,
  });
  assert.equal(strings.providers.p.api_key, '12345678');
  assert.deepEqual(strings.providers.p.headers, { 'x-flag': 'true' });
  assert.equal(strings.models[0].name, '12345678');
  assert.equal(strings.models[0].upstream, 'true');
  assert.match(failure({ server: { port: '${T}x' } }, env), /server\.port: must be a number, not a string \("2500x"\)/);
});

describe('names that belong to the embedded engine', () => {
  it('refuses a model named like the engine model while the engine is on, naming the key', () => {
    const models = [{ name: 'mine', provider: 'up' }, { name: 'Image-Recognition', provider: 'up' }];
    assert.match(failure({ providers: { up: provider }, models }), /^ {2}models\[1\]\.name: "Image-Recognition" is the embedded engine's model \(engine\.model_name\)/m);
    assert.match(failure({ providers: { up: provider }, models: [{ name: 'eye', provider: 'up' }], engine: { model_name: 'eye' } }), /models\[0\]\.name: "eye"/);
    assert.equal(loadConfig({ raw: { providers: { up: provider }, models, engine: { enabled: false } }, env: {} }).models[1].name, 'Image-Recognition');
  });

  it('lets a provider be called local: the engine is not one of the configured providers', () => {
    const config = loadConfig({ raw: { providers: { local: provider }, models: [{ name: 'my-vllm', provider: 'local' }] }, env: {} });
    assert.equal(config.models[0].provider, 'local');
  });

  it("refuses a provider called engine while the engine is on: /health and logs name the engine's provider so", () => {
    assert.match(failure({ providers: { engine: provider }, models: [{ name: 'm', provider: 'engine' }] }), /providers\.engine: "engine" names the embedded engine's provider/);
    assert.equal(loadConfig({ raw: { providers: { engine: provider }, models: [{ name: 'm', provider: 'engine' }], engine: { enabled: false } }, env: {} }).models[0].provider, 'engine');
  });
});

describe('analysis.model', () => {
  const providers = { up: provider };
  it('must name a served model that can see images', () => {
    assert.match(failure({ providers, models: [{ name: 'a', provider: 'up' }], analysis: { model: 'nope' } }), /^ {2}analysis\.model: no model named "nope" is served \(models: Image-Recognition, a\)/m);
    assert.match(failure({ providers, models: [{ name: 'a', provider: 'up', vision: false }], analysis: { model: 'a' } }), /^ {2}analysis\.model: "a" is configured with vision: false/m);
    assert.match(failure({ engine: { enabled: false }, analysis: { model: 'Image-Recognition' } }), /analysis\.model: no model named "Image-Recognition" is served \(models: none\)/);
  });

  it('may name the engine or a configured vision model', () => {
    assert.equal(loadConfig({ raw: { analysis: { model: 'Image-Recognition' } }, env: {} }).analysis.model, 'Image-Recognition');
    assert.equal(loadConfig({ raw: { providers, models: [{ name: 'v', provider: 'up' }], analysis: { model: 'v' } }, env: {} }).analysis.model, 'v');
  });
});
