import type { Socket } from 'node:net';
import { ApiError } from '../openai/api-error.ts';

// server.request_timeout_s, as the client and the log both hear it. Node cuts a request that is
// too slow to arrive by answering on its socket (error-handler.ts answerClientError) and closing
// it; the body reader then sees the connection end mid-body, which would otherwise read as the
// client having left. The socket is marked, so the request's own failure says 408 too.

const TIMED_OUT = Symbol('iris.requestTimedOut');

export function requestTimedOut(): ApiError {
  return new ApiError(408, 'The request took too long to arrive.', { type: 'invalid_request_error', code: 'request_timeout' });
}

export function markTimedOut(socket: Socket): void {
  (socket as Socket & { [TIMED_OUT]?: true })[TIMED_OUT] = true;
}

export function wasTimedOut(socket: Socket | null | undefined): boolean {
  return (socket as (Socket & { [TIMED_OUT]?: true }) | null | undefined)?.[TIMED_OUT] === true;
}
