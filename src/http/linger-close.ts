import type { Socket } from 'node:net';

// A lingering close, as web servers do it (nginx's lingering_close): for an answer sent before
// the request's body was read, on a connection Iris then closes. Closed at once, the kernel
// answers the body bytes still arriving with a reset, and a client still sending its body (the
// openai SDK's fetch, mid-upload) loses the answer it had not read yet: it sees EPIPE or
// ECONNRESET instead of the 503 and Retry-After it would have retried on. So once the answer is
// out, Iris's side of the connection is ended, what the client still sends is read and dropped
// (nothing is kept), and the connection is closed when the client closes its side, goes quiet
// for LINGER_IDLE_MS, or at the latest after LINGER_MAX_MS.

const LINGER_IDLE_MS = 500;
const LINGER_MAX_MS = 5_000;

const lingering = new WeakSet<Socket>();

/** Makes the close that follows this connection's current answer (`Connection: close`) a lingering one. */
export function lingerOnClose(socket: Socket | null | undefined): void {
  if (!socket || lingering.has(socket)) return;
  lingering.add(socket);
  // Node's HTTP server closes a `Connection: close` answer's socket with destroySoon() once the
  // answer is written: that one call is made to linger.
  socket.destroySoon = function lingeringClose(this: Socket): void {
    this.end();
    const cut = () => this.destroy();
    const latest = setTimeout(cut, LINGER_MAX_MS);
    this.once('close', () => clearTimeout(latest));
    this.setTimeout(LINGER_IDLE_MS, cut);
    this.resume();
  };
}
