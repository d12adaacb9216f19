/** A URL to show (a start-up line, a hint): never its user or password (which may hold '@' or '/'). */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url; // as written
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    // Not a URL (a socket path, say): shown only if it cannot be hiding credentials.
    return url.includes('@') ? '(not shown: it may hold credentials)' : url;
  }
}
