import { ApiError } from '../../openai/api-error.ts';

// An upstream's 401 is about the key Iris holds for that provider, not the client's key for
// Iris. It keeps its status and the upstream's message, but says whose key failed, and its
// code is not `invalid_api_key`, which clients read as "your key is wrong".

export function attributeAuthFailure(providerId: string, error: ApiError): ApiError {
  if (error.status !== 401) return error;
  return new ApiError(401, `The upstream provider '${providerId}' rejected the credentials Iris holds for it (providers.${providerId}.api_key): ${error.message}`, {
    type: 'authentication_error',
    code: 'upstream_authentication_failed',
    headers: error.headers,
    cause: error,
  });
}
