import { after, before, beforeEach } from 'node:test';
import { pino } from 'pino';
import type { CallContext, Provider } from '../../src/providers/provider.ts';

// What a provider's unit tests need around a fake upstream: a call context, a way to collect
// a stream, and the fake and provider started once per file, the fake reset before each test.

export const callContext = (): CallContext => ({ requestId: 'req-1', signal: new AbortController().signal, log: pino({ level: 'silent' }) });

export async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const c of it) out.push(c);
  return out;
}

/** Registers the file's hooks: `start` the fake, `setUp` the provider on it; both closed after. */
export function onFakeUpstream<Fake extends { reset(): void; close(): Promise<void> }>(start: () => Promise<Fake>, setUp: (fake: Fake) => Provider): void {
  let fake: Fake;
  let provider: Provider;
  before(async () => {
    fake = await start();
    provider = setUp(fake);
  });
  after(async () => {
    await provider.close?.();
    await fake.close();
  });
  beforeEach(() => fake.reset());
}
