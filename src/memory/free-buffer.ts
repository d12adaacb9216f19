// Freeing a large Buffer at once instead of waiting for the garbage collector.
//
// A Buffer's bytes live outside the V8 heap, and V8 only learns they are garbage when it
// collects the small object that owns them. A request with a 1 MB image allocates a few
// megabytes of such bytes (the socket's chunks, the joined body) and very little on the heap,
// so young-generation collections come too rarely to catch them: they pile up (tens of MB at
// one client, hundreds at 64) until a full collection, which costs the one core 20–30 ms.
// Detaching the ArrayBuffer (ArrayBuffer.prototype.transfer) frees its memory now; any view
// left on it reads as empty rather than as freed memory.
//
// Only safe when no native code still reads the memory (a pending socket write, say): callers
// free a buffer only when they know it is theirs alone (see src/json/raw-body.ts).

/** Buffers smaller than this are left to the collector: freeing would not pay. */
export const FREE_MIN_BYTES = 16 * 1024;

/** True when `buf` is the whole of its ArrayBuffer (not a view of a larger or shared one). */
export function ownsMemory(buf: Buffer): boolean {
  const memory = buf.buffer;
  return memory instanceof ArrayBuffer && buf.byteOffset === 0 && memory.byteLength === buf.length && !memory.detached;
}

/** Frees a large buffer that is the whole of its memory; leaves anything else to the collector. */
export function freeBuffer(buf: Buffer): void {
  if (buf.length >= FREE_MIN_BYTES && ownsMemory(buf)) (buf.buffer as ArrayBuffer).transfer(0);
}
