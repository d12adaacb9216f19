import pino, { type Logger } from 'pino';

// Structured JSON logs. Secrets and image bytes never reach them: keys live only in headers
// (which are not logged) and these paths are redacted should anything include them.

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-goog-api-key"]', 'api_key', '*.api_key'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
