import { connect, type Socket } from 'node:net';

// A TCP connection to an HTTP origin that writes exactly the bytes it is given and keeps all it
// reads: for requests no HTTP client would send (a body never finished, requests pipelined
// behind a stream) and for answers read byte for byte.

export interface RawSocket {
  hostname: string;
  socket: Socket;
  /** What has been read so far. */
  received(): string;
  /** Everything read, once the connection has closed. */
  closed: Promise<string>;
  /** True if the connection closed within `ms`; false if it is still open then. */
  closedWithin(ms: number): Promise<boolean>;
}

export function openRawSocket(origin: string): RawSocket {
  const { hostname, port } = new URL(origin);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('utf8').on('data', (d: string) => (received += d));
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  return {
    hostname,
    socket,
    received: () => received,
    closed,
    closedWithin: (ms) => Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(r, ms, false))]),
  };
}

/** The head of a POST /v1/chat/completions with a JSON body of `length` bytes. */
export function chatRequestHead(hostname: string, key: string, length: number, extraHeaders = ''): string {
  return (
    `POST /v1/chat/completions HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${key}\r\n${extraHeaders}` +
    `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`
  );
}
