import pino, { type Bindings, type Logger } from 'pino';

// Each request's logger: the server's logger with the request id bound (Fastify's
// childLoggerFactory). pino's own child() runs the bindings through the formatters and the
// redaction's stringifier and builds a formatter object, on every request, whether or not the
// request ever logs; here the binding is written as JSON once and the child is the server's
// logger with that text added (pino.symbols.chindingsSym is what child() itself sets).
// Bindings hold Iris's own values (the request id), never client input, so nothing in them
// needs redacting.

const { chindingsSym } = pino.symbols;

export function requestLogger(logger: Logger, bindings: Bindings): Logger {
  const parent = logger as Logger & { [chindingsSym]: string };
  let bound = parent[chindingsSym];
  for (const key in bindings) bound += `,${JSON.stringify(key)}:${JSON.stringify(bindings[key])}`;
  const child = Object.create(parent) as typeof parent;
  child[chindingsSym] = bound;
  return child;
}
