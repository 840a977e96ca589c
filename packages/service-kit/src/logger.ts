import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

// Secret shapes scrubbed from every serialized line, wherever they sit (error messages, query parameters of a
// TypeORM QueryFailedError, headers): a path list alone misses values copied into free text.
const SECRET_PATTERNS: RegExp[] = [
  /whsec_[A-Za-z0-9+/=_-]+/g,
  /sk_[A-Za-z0-9_-]{8,}/g,
  /(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
];
// Fields whose whole value is a secret (or carries one, like a failed query's parameters).
const REDACT_PATHS = [
  '*.password', '*.secret', '*.webhook_secret', '*.previous_secret', '*.authorization', '*.Authorization',
  '*.headers', '*.parameters', 'err.parameters', 'err.driverError.parameters', 'req.headers.authorization',
];

/** Replaces known secret shapes in a serialized log line with [REDACTED]. */
export function scrubSecrets(line: string): string {
  return SECRET_PATTERNS.reduce((out, pattern) => out.replace(pattern, '[REDACTED]'), line);
}

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    hooks: { streamWrite: scrubSecrets },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Routes Nest's own log lines into pino so every line is one JSON object. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
