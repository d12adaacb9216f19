import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// Serves test images on loopback, for the "image by URL" cases (Iris or the upstream fetches).

export interface ImageServer {
  origin: string;
  /** host:port, for images.fetch.allow_hosts. */
  host: string;
  url(name: string): string;
  close(): Promise<void>;
}

export async function startImageServer(images: Record<string, { bytes: Buffer; type: string }>): Promise<ImageServer> {
  const server = createServer((req, res) => {
    const image = images[(req.url ?? '/').slice(1)];
    if (!image) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': image.type, 'content-length': String(image.bytes.length) });
    res.end(image.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
