import type { Socket } from 'node:net';
import { ApiError } from '../openai/api-error.ts';

// server.request_timeout_s, as the client and the log both hear it. Node cuts a request that is
// too slow to arrive by answering on its socket (error-handler.ts answerClientError) and closing
// it; the body reader then sees the connection end mid-body, which would otherwise read as the
// client having left. The socket is marked with the answer, so the request's own failure says
// 408 too. The same holds for a body Node's HTTP parser refuses half-way (a bad chunk): 400.

const ANSWERED = Symbol('iris.answeredOnSocket');

export function requestTimedOut(): ApiError {
  return new ApiError(408, 'The request took too long to arrive.', { type: 'invalid_request_error', code: 'request_timeout' });
}

/** Records what the client was told on `socket` before it was closed under its request. */
export function markAnswered(socket: Socket, answer: ApiError): void {
  (socket as Socket & { [ANSWERED]?: ApiError })[ANSWERED] = answer;
}

/** What the client was told on `socket` when Node cut its request short, if anything. */
export function answeredOn(socket: Socket | null | undefined): ApiError | undefined {
  return (socket as (Socket & { [ANSWERED]?: ApiError }) | null | undefined)?.[ANSWERED];
}
