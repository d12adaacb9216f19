import pino, { type Logger } from 'pino';
import type { SecretRedactor } from './secret-redactor.ts';

// Structured JSON logs. Secrets and image bytes never reach them: keys live only in headers
// (which are not logged) and these paths are redacted should anything include them; the
// credentials Iris holds for upstreams are masked wherever they appear in a line (an upstream's
// error text may quote one).

export function createLogger(level: string, destination?: pino.DestinationStream, secrets?: SecretRedactor): Logger {
  const out = destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-goog-api-key"]', 'api_key', '*.api_key'],
        censor: '[redacted]',
      },
    },
    secrets && !secrets.empty ? { write: (line: string) => out.write(secrets.redact(line)) } : out,
  );
}
