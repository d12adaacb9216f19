import { KeyFileError } from './access/api-keys.ts';
import type { IrisConfig } from './config/config-schema.ts';

// Start-up failures a person can fix, each said in one line: what failed, which setting,
// what to do. Anything else is a bug and keeps its stack.

export function explainStartupFailure(err: unknown, server: IrisConfig['server']): string | null {
  if (err instanceof KeyFileError) return err.message;
  const { code, syscall } = (err ?? {}) as NodeJS.ErrnoException;
  const { host, port } = server;
  if (syscall === 'listen') {
    if (code === 'EADDRINUSE') return `port ${port} is already in use on ${host} (PORT / server.port): stop what is using it, or set PORT to a free port`;
    if (code === 'EACCES') return `not allowed to listen on port ${port} (PORT / server.port): ports below 1024 need privileges; set PORT to 1024 or above`;
    if (code === 'EADDRNOTAVAIL') {
      return `HOST "${host}" is not an address of this machine (HOST / server.host): use one of its addresses, 127.0.0.1 for this machine only, or 0.0.0.0 for all`;
    }
  }
  if (syscall === 'getaddrinfo' && (code === 'ENOTFOUND' || code === 'EAI_AGAIN')) {
    return `HOST "${host}" does not resolve to an address (HOST / server.host): use an address or name of this machine, e.g. 127.0.0.1 or 0.0.0.0`;
  }
  return null;
}
