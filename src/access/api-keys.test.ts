import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { ApiKeys, generateKey, hashKey, KeyFileError, loadOrCreateStoredKeys } from './api-keys.ts';

describe('hashKey', () => {
  it('is the SHA-256 of the UTF-8 key', () => {
    assert.equal(hashKey('abc').toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(hashKey('é').length, 32);
    assert.notEqual(hashKey('é').toString('hex'), hashKey('e').toString('hex'));
  });
});

describe('generateKey', () => {
  it('makes distinct iris- keys with 192 random bits', () => {
    const keys = new Set(Array.from({ length: 200 }, generateKey));
    assert.equal(keys.size, 200);
    for (const key of keys) assert.match(key, /^iris-[A-Za-z0-9_-]{32}$/);
  });
});

describe('ApiKeys', () => {
  const keys = ApiKeys.fromPlain(['sk-alpha-111111', 'sk-beta-2222222', 'sk-gamma-333333']);

  it('verifies each configured key to its id', () => {
    assert.equal(keys.size, 3);
    assert.equal(keys.verify('sk-alpha-111111'), 'env-0');
    assert.equal(keys.verify('sk-beta-2222222'), 'env-1');
    assert.equal(keys.verify('sk-gamma-333333'), 'env-2');
  });

  it('refuses near misses, of any length', () => {
    for (const wrong of ['', 'sk-alpha-11111', 'sk-alpha-1111111', 'SK-ALPHA-111111', ' sk-alpha-111111', 'x'.repeat(10_000)]) {
      assert.equal(keys.verify(wrong), null, JSON.stringify(wrong.slice(0, 20)));
    }
  });

  it('keeps no plain key in memory', () => {
    const seen = JSON.stringify(keys);
    assert.equal(seen.includes('sk-alpha'), false);
    const records = (keys as unknown as { records: { id: string; hash: Buffer }[] }).records;
    assert.deepEqual(records.map((r) => Object.keys(r).sort()), [['hash', 'id'], ['hash', 'id'], ['hash', 'id']]);
    assert.ok(records[0].hash.equals(hashKey('sk-alpha-111111')));
  });

  it('compares in constant time against every record, even after a match', () => {
    const spy = mock.method(crypto, 'timingSafeEqual');
    syncBuiltinESMExports();
    try {
      keys.verify('sk-alpha-111111');
      assert.equal(spy.mock.callCount(), 3, 'the first key matched, all three were compared');
      spy.mock.resetCalls();
      keys.verify('nope');
      assert.equal(spy.mock.callCount(), 3);
      for (const call of spy.mock.calls) assert.equal((call.arguments[0] as Buffer).length, 32, 'hashes are compared, not keys');
    } finally {
      spy.mock.restore();
      syncBuiltinESMExports();
    }
  });

  it('gives the first id when a key is configured twice', () => {
    assert.equal(ApiKeys.fromPlain(['sk-same-key-1', 'sk-same-key-1']).verify('sk-same-key-1'), 'env-0');
  });

  it('accepts nothing when empty', () => {
    assert.equal(new ApiKeys([]).verify(''), null);
  });
});

describe('loadOrCreateStoredKeys', () => {
  const root = mkdtempSync(join(tmpdir(), 'iris-keys-unit-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('creates one key on first use, in a new data directory, storing only its hash', () => {
    const dataDir = join(root, 'nested', 'data');
    const { keys, created } = loadOrCreateStoredKeys(dataDir);
    assert.ok(created);
    assert.match(created, /^iris-/);
    assert.equal(keys.verify(created), 'initial');
    const file = join(dataDir, 'api-keys.json');
    const text = readFileSync(file, 'utf8');
    assert.equal(text.includes(created), false);
    assert.equal(text.includes(created.slice(5)), false);
    const stored = JSON.parse(text) as { keys: { id: string; sha256: string; created: string }[] };
    assert.deepEqual(stored.keys.map((k) => [k.id, k.sha256]), [['initial', hashKey(created).toString('hex')]]);
    assert.ok(!Number.isNaN(Date.parse(stored.keys[0].created)));
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it('reads the stored hashes on later starts and creates nothing new', () => {
    const dataDir = join(root, 'again');
    const first = loadOrCreateStoredKeys(dataDir);
    const before = readFileSync(join(dataDir, 'api-keys.json'), 'utf8');
    const second = loadOrCreateStoredKeys(dataDir);
    assert.equal(second.created, null);
    assert.equal(second.keys.verify(first.created!), 'initial');
    assert.equal(second.keys.verify(generateKey()), null);
    assert.equal(readFileSync(join(dataDir, 'api-keys.json'), 'utf8'), before);
  });

  it('refuses a key file that is not JSON or not a key file, naming it and how to recover', () => {
    const cases: [string, RegExp][] = [
      ['{"keys": [', /is not valid JSON/],
      ['{}', /is not an Iris key file \(keys: /],
      ['{"keys": []}', /is not an Iris key file \(keys: holds no keys\)/],
      ['{"keys": [{"id": "a", "sha256": "abc", "created": "x"}]}', /is not an Iris key file \(keys\[0\]\.sha256: expected 64 hex digits\)/],
      ['[]', /is not an Iris key file/],
    ];
    for (const [i, [text, says]] of cases.entries()) {
      const dataDir = join(root, `bad-${i}`);
      mkdirSync(dataDir);
      writeFileSync(join(dataDir, 'api-keys.json'), text);
      assert.throws(() => loadOrCreateStoredKeys(dataDir), (err: unknown) => {
        assert.ok(err instanceof KeyFileError, String(err));
        assert.match(err.message, says);
        assert.ok(err.message.startsWith(join(dataDir, 'api-keys.json')), err.message);
        assert.match(err.message, /delete it and restart to have a new key created/);
        return true;
      });
      assert.equal(readFileSync(join(dataDir, 'api-keys.json'), 'utf8'), text, 'left as it was');
    }
  });

  it('refuses a data directory that is a file or cannot be made, naming IRIS_DATA_DIR', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    assert.throws(() => loadOrCreateStoredKeys(file), (err: unknown) => err instanceof KeyFileError && /data directory .*a-file \(IRIS_DATA_DIR \/ data_dir\) is a file/.test(err.message));
    assert.throws(() => loadOrCreateStoredKeys(join(file, 'sub')), (err: unknown) => err instanceof KeyFileError && /IRIS_DATA_DIR.*ENOTDIR/.test(err.message));
  });

  it('creates different keys for different data directories', () => {
    const a = loadOrCreateStoredKeys(join(root, 'a')).created!;
    const b = loadOrCreateStoredKeys(join(root, 'b')).created!;
    assert.notEqual(a, b);
    assert.ok(existsSync(join(root, 'a', 'api-keys.json')));
  });
});
