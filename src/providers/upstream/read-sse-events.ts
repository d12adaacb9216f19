import { createParser, type EventSourceMessage } from 'eventsource-parser';

// Turns an upstream SSE body into its events, parsed by eventsource-parser (never by regex).
// Ends when the body ends; a body that errors (socket closed mid-stream) throws from here.

export async function* readSseEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    while (pending.length > 0) yield pending.shift()!;
  }
  const rest = decoder.decode();
  if (rest) parser.feed(rest);
  // An event without its closing blank line is discarded, as the SSE spec says at end of
  // stream: it is a cut-off stream, which the dialect's converter reports.
  while (pending.length > 0) yield pending.shift()!;
}
