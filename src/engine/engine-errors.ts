// Failures of the engine itself, free of HTTP; the local provider maps them to ApiErrors.

export class EngineBusyError extends Error {
  override name = 'EngineBusyError';
}

export class InvalidImageError extends Error {
  override name = 'InvalidImageError';
}

export class EngineClosedError extends Error {
  override name = 'EngineClosedError';
}
