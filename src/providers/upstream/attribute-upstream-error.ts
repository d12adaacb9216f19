import { ApiError } from '../../openai/api-error.ts';

// An upstream's error as the client hears it says which provider it came from: status, type
// and the upstream's message are kept. Its 401 is about the key Iris holds for that provider,
// not the client's key for Iris: the code is not `invalid_api_key`, which clients read as
// "your key is wrong"; its 403 likewise. A failure on Iris's side of the call (5xx) names the provider, as a bare
// "Overloaded" or "Internal server error" would not.

export function attributeUpstreamError(providerId: string, error: ApiError): ApiError {
  if (error.status === 401) {
    return new ApiError(401, `The upstream provider '${providerId}' rejected the credentials Iris holds for it (providers.${providerId}.api_key): ${error.message}`, {
      type: 'authentication_error',
      code: 'upstream_authentication_failed',
      headers: error.headers,
      cause: error,
    });
  }
  // A 403 is about what Iris's key may do there (a model, a region, a key reported as leaked):
  // said plainly, it reads as the client's key lacking permission.
  if (error.status === 403 && !error.message.includes(`'${providerId}'`)) {
    return new ApiError(403, `The upstream provider '${providerId}' refused the request for the credentials Iris holds for it: ${error.message}`, {
      type: 'permission_error',
      code: error.code ?? 'upstream_permission_denied',
      headers: error.headers,
      cause: error,
    });
  }
  if (error.status >= 500 && !error.message.includes(`'${providerId}'`)) {
    const what = error.type === 'overloaded_error' ? 'is overloaded' : error.type === 'timeout_error' ? 'timed out' : 'failed';
    return new ApiError(error.status, `The upstream provider '${providerId}' ${what}: ${error.message}`, {
      type: error.type,
      code: error.code,
      headers: error.headers,
      cause: error,
    });
  }
  return error;
}

/**
 * An upstream 404 whose body is no error of the upstream's API (a web server's "Not Found" page,
 * FastAPI's `{"detail":"Not Found"}`): nothing is served at the path Iris called, so the
 * provider's base_url is wrong for that server, not the model unknown to it. Said so, naming the
 * setting; the status and the upstream's words are kept. (Start-up warns of the usual base_url
 * mistakes too: src/config/base-url-hints.ts.)
 */
export function noSuchEndpoint(providerId: string, upstreamMessage: string): ApiError {
  return new ApiError(404, `The upstream provider '${providerId}' serves no chat endpoint at the URL Iris called (HTTP 404: ${upstreamMessage}); check providers.${providerId}.base_url.`, {
    type: 'invalid_request_error',
    code: 'upstream_not_found',
  });
}

/**
 * What ended a provider's stream, as the client hears it: an error the upstream sent mid-stream
 * (Anthropic's `event: error`, Gemini's error chunk) or Iris found in its stream names the
 * provider, as attributeUpstreamError does for HTTP errors (the stream converters know no
 * provider id). Passed on as they are: the call's own abort (Iris stopping, the client gone),
 * transport failures (which carry their cause and name the provider already), the local engine's.
 */
export function attributeStreamFailure(provider: { id: string; type: string }, err: unknown, signal: AbortSignal): unknown {
  if (!(err instanceof ApiError)) return unreadableAnswer(provider, err, signal);
  if (provider.type === 'local' || err === signal.reason || err.cause !== undefined) return err;
  return attributeUpstreamError(provider.id, err);
}

/**
 * A provider's failure that is no ApiError: its converter met an answer it could not read (a
 * field of the wrong type, a list holding null). As far as the client can tell that is the
 * upstream's fault: a 502 naming it, not a 500 that reads (and is retried and alerted on) as
 * Iris's own. The cause is kept for the log. The local engine's failures, and whatever ends a
 * call that was aborted, are passed on as they are.
 */
export function unreadableAnswer(provider: { id: string; type: string }, err: unknown, signal: AbortSignal): unknown {
  if (provider.type === 'local' || err instanceof ApiError || signal.aborted) return err;
  return new ApiError(502, `The upstream provider '${provider.id}' sent an answer Iris could not read.`, {
    type: 'upstream_error',
    code: 'upstream_bad_response',
    cause: err,
  });
}

/**
 * Keeps the upstream's id for a failed call (Anthropic's `request-id`, OpenAI's and vLLM's
 * `x-request-id`) on the error, for its log line: the one thing the provider's support needs.
 */
export function withUpstreamRequestId(error: ApiError, headers: Record<string, string>): ApiError {
  const id = headers['request-id'] ?? headers['x-request-id'];
  // Ids are short plain tokens (req_011CS…, chatcmpl-…); anything else (a hostile upstream could
  // put a credential there, which cut short would escape the log's masking) is not kept.
  if (id && /^[\w.:-]{1,128}$/.test(id)) error.upstreamRequestId ??= id;
  return error;
}
