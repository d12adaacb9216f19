// The headers of an upstream's refusal that tell a client when (and whether) to retry, passed on
// as they came: Retry-After, and the retry-after-ms and x-should-retry that OpenAI's SDKs read.

export function retryHeaders(upstream: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['retry-after', 'retry-after-ms', 'x-should-retry']) if (upstream[name]) out[name] = upstream[name];
  return out;
}
