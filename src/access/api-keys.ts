import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { formatKeyPath } from '../config/format-key-path.ts';

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

const storedKeysSchema = z.object({
  keys: z.array(z.object({ id: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 hex digits'), created: z.string() })).min(1, 'holds no keys'),
});

type StoredKeys = z.infer<typeof storedKeysSchema>;

/** The data directory or its key file cannot be used; the message says which and how to fix it. */
export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

/**
 * Keys for a server with none configured: read the hashes kept in the data directory, or on
 * the very first start create one key, keep its hash and hand the plain key back (to be
 * printed once, never stored).
 */
export function loadOrCreateStoredKeys(dataDir: string): { keys: ApiKeys; created: string | null } {
  const file = join(dataDir, KEY_FILE);
  try {
    if (existsSync(file)) {
      const stored = readStoredKeys(file);
      return { keys: new ApiKeys(stored.keys.map((k) => ({ id: k.id, hash: Buffer.from(k.sha256, 'hex') }))), created: null };
    }
    // mkdir's own word for this case is EEXIST, which misleads.
    if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) throw new KeyFileError(`the data directory ${dataDir} (IRIS_DATA_DIR / data_dir) is a file; point IRIS_DATA_DIR at a directory`);
    const key = generateKey();
    mkdirSync(dataDir, { recursive: true });
    const stored: StoredKeys = { keys: [{ id: 'initial', sha256: hashKey(key).toString('hex'), created: new Date().toISOString() }] };
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    return { keys: new ApiKeys([{ id: 'initial', hash: hashKey(key) }]), created: key };
  } catch (err) {
    if (err instanceof KeyFileError) throw err;
    throw new KeyFileError(`cannot keep API keys in the data directory ${dataDir} (IRIS_DATA_DIR / data_dir): ${(err as Error).message}; check that Iris's user may read and write it, or point IRIS_DATA_DIR at another directory`);
  }
}

function readStoredKeys(file: string): StoredKeys {
  const fix = 'fix it, or delete it and restart to have a new key created (or set IRIS_API_KEYS)';
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new KeyFileError(`${file} is not valid JSON (${err.message}): ${fix}`);
  }
  const result = storedKeysSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = formatKeyPath(issue.path);
    throw new KeyFileError(`${file} is not an Iris key file (${where ? `${where}: ` : ''}${issue.message}): ${fix}`);
  }
  return result.data;
}
