import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// API keys, kept only as SHA-256 hashes. A presented key is hashed and compared with every
// stored hash in constant time, so neither the key nor its position leaks through timing.

export interface KeyRecord {
  id: string;
  hash: Buffer;
}

export class ApiKeys {
  private readonly records: KeyRecord[];

  constructor(records: KeyRecord[]) {
    this.records = records;
  }

  static fromPlain(keys: string[]): ApiKeys {
    return new ApiKeys(keys.map((key, i) => ({ id: `env-${i}`, hash: hashKey(key) })));
  }

  get size(): number {
    return this.records.length;
  }

  /** The matching key's id, or null. Always compares against every record. */
  verify(presented: string): string | null {
    const hash = hashKey(presented);
    let found: string | null = null;
    for (const record of this.records) {
      if (timingSafeEqual(hash, record.hash) && found === null) found = record.id;
    }
    return found;
  }
}

export function hashKey(key: string): Buffer {
  // The one-shot hash: no Hash object per request.
  return hash('sha256', key, 'buffer');
}

export function generateKey(): string {
  return `iris-${randomBytes(24).toString('base64url')}`;
}

const KEY_FILE = 'api-keys.json';

interface StoredKeys {
  keys: { id: string; sha256: string; created: string }[];
}

/**
 * Keys for a server with none configured: read the hashes kept in the data directory, or on
 * the very first start create one key, keep its hash and hand the plain key back (to be
 * printed once, never stored).
 */
export function loadOrCreateStoredKeys(dataDir: string): { keys: ApiKeys; created: string | null } {
  const file = join(dataDir, KEY_FILE);
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKeys;
    return { keys: new ApiKeys(stored.keys.map((k) => ({ id: k.id, hash: Buffer.from(k.sha256, 'hex') }))), created: null };
  }
  const key = generateKey();
  mkdirSync(dataDir, { recursive: true });
  const stored: StoredKeys = { keys: [{ id: 'initial', sha256: hashKey(key).toString('hex'), created: new Date().toISOString() }] };
  writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  return { keys: new ApiKeys([{ id: 'initial', hash: hashKey(key) }]), created: key };
}
