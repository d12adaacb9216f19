// What actually went wrong, for a one-line message: the error at the end of a chain of causes
// (an engine start failure wraps the worker's error, a fetch failure its socket's).

export function rootCause(err: unknown): string {
  while (err instanceof Error && err.cause instanceof Error) err = err.cause;
  return err instanceof Error ? err.message : String(err);
}
