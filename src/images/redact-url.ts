// URLs go into errors and logs without their query string or fragment (signed URLs carry
// credentials there) and without userinfo.

export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return '(unparsable URL)';
  }
  if (parsed.protocol === 'data:') return 'data:…';
  const query = parsed.search ? '?…' : '';
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${query}`;
}
