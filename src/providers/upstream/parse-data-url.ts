// `data:image/png;base64,AAAA` → its media type and base64 payload. Upstreams that take inline
// images want the two apart; anything that is not a base64 data URL is not inline.

export interface InlineImage {
  mediaType: string;
  base64: string;
}

export function parseDataUrl(url: string): InlineImage | null {
  // The scheme is case-blind (RFC 2397 via RFC 3986), as the image pipeline reads it.
  if (url.slice(0, 5).toLowerCase() !== 'data:') return null;
  const comma = url.indexOf(',');
  if (comma < 0) return null;
  const meta = url.slice(5, comma).split(';').map((s) => s.trim());
  if (!meta.some((m) => m.toLowerCase() === 'base64')) return null;
  const mediaType = (meta[0] || 'application/octet-stream').toLowerCase();
  return { mediaType, base64: url.slice(comma + 1).replace(/\s+/g, '') };
}
