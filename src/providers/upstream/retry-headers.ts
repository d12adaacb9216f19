// The headers of an upstream's refusal that tell a client when (and whether) to retry, passed on
// when they hold what the header means: Retry-After (whole seconds or an HTTP date), and the
// retry-after-ms and x-should-retry that OpenAI's SDKs read. Anything else (a hostile or broken
// upstream can put any text there, a credential it echoes included) is not sent to clients.

const VALID: Record<string, (value: string) => boolean> = {
  'retry-after': (value) => /^\d{1,9}$/.test(value) || (/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value) && !Number.isNaN(Date.parse(value))),
  'retry-after-ms': (value) => /^\d{1,12}(\.\d{1,6})?$/.test(value),
  'x-should-retry': (value) => value === 'true' || value === 'false',
};

export function retryHeaders(upstream: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in VALID) {
    const value = upstream[name]?.trim();
    if (value && VALID[name](value)) out[name] = value;
  }
  return out;
}
