import { readFile, stat } from 'node:fs/promises';
import { formatBytes } from './format-bytes.ts';
import { rootCause } from './root-cause.ts';

// One input of `iris describe`: a file, an http(s) URL (fetched from this machine, as curl
// would: the operator's own command, not a client's request) or `-` for standard input, read
// only up to the server's own body limit, with failures in words a person would use.

/** The most an input may be, as the server's own body limit: past it, it is not read at all. */
const MAX_IMAGE_BYTES = 50_000_000;
const FETCH_TIMEOUT_S = 30;

/** An input's bytes: `-` is standard input, http(s) a URL, anything else a file. */
export async function loadImage(source: string): Promise<Buffer> {
  if (source === '-') return readCapped(process.stdin);
  if (/^https?:\/\//i.test(source)) return fetchImage(source);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) throw new Error('only http and https URLs are fetched');
  let size: number;
  try {
    const stats = await stat(source);
    if (stats.isDirectory()) throw new Error('is a directory, not an image');
    size = stats.size;
  } catch (err) {
    throw new Error(fileError(err));
  }
  if (size > MAX_IMAGE_BYTES) throw new Error(`${formatBytes(size)}, larger than ${formatBytes(MAX_IMAGE_BYTES)}`);
  try {
    return await readFile(source);
  } catch (err) {
    throw new Error(fileError(err));
  }
}

/** Node's words for a file that cannot be read, as a person would say them. */
function fileError(err: unknown): string {
  const { code, message } = err as NodeJS.ErrnoException;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not an image';
  return message;
}

async function fetchImage(url: string): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_S * 1000), headers: { 'user-agent': 'iris-cli' } });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new Error(`no answer within ${FETCH_TIMEOUT_S} s`);
    // fetch says only "fetch failed": the reason (refused, not found, too many redirects) is its cause.
    throw new Error(rootCause(err));
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status} ${response.statusText}`.trimEnd());
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_IMAGE_BYTES) {
    await response.body?.cancel();
    throw new Error(`${formatBytes(declared)}, larger than ${formatBytes(MAX_IMAGE_BYTES)}`);
  }
  if (!response.body) return Buffer.alloc(0);
  try {
    return await readCapped(response.body);
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new Error(`not received within ${FETCH_TIMEOUT_S} s`);
    throw err;
  }
}

/** Reads a stream whole, but stops (and lets go of it) once it outgrows the limit. */
async function readCapped(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > MAX_IMAGE_BYTES) throw new Error(`larger than ${formatBytes(MAX_IMAGE_BYTES)}`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
