// An upstream's error body that is not JSON, as a message a client can read: an HTML page (a
// proxy's, a load balancer's) becomes its title or else its text without markup; at most 500
// characters either way.

export function plainMessage(body: string): string {
  const text = body.slice(0, 20_000).trim();
  if (!text.startsWith('<')) return text.slice(0, 500);
  const title = /<title[^>]*>([^<]*)</i.exec(text)?.[1].trim();
  return (title || text.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim().slice(0, 500);
}
