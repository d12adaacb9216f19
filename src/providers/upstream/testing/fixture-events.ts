import { readFileSync } from 'node:fs';
import type { EventSourceMessage } from 'eventsource-parser';
import { SseEventQueue } from '../sse-event-queue.ts';

/**
 * A recorded SSE fixture (test/fixtures/<dir>/<name>) as the events a provider reads, its
 * bytes cut into awkward `pieceBytes`-sized pieces as the network would deliver them.
 */
export function fixtureEvents(dir: string, name: string, pieceBytes: number): AsyncIterableIterator<EventSourceMessage> {
  const data = readFileSync(new URL(`../../../../test/fixtures/${dir}/${name}`, import.meta.url));
  const queue = new SseEventQueue({ resume() {}, cancel() {} });
  for (let i = 0; i < data.length; i += pieceBytes) queue.feed(data.subarray(i, i + pieceBytes));
  queue.end();
  return queue;
}
