/**
 * The promise's outcome, or the signal's reason as soon as it aborts: for waits on work that
 * is not the caller's to cancel (a model loading, another request's call) or that may ignore
 * its signal. The promise is left to settle on its own; the listener goes when it does.
 */
export function waitOrAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined); // its failure is nobody's now: not an unhandled rejection
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
