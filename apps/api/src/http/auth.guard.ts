import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ErrorCodes } from '@parley/common';
import { ApiKeyCache } from '../accounts/api-key-cache';
import { ApiError } from './api-error';
import { type AuthedRequest, routeSpecOf } from './api-route';
import { RateLimiter } from './rate-limiter';

/** Bearer API key on every `/v1` route, then the per-key rate limit. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly apiKeys: ApiKeyCache,
    private readonly rateLimiter: RateLimiter,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const spec = routeSpecOf(ctx);
    if (!spec || spec.auth === false) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
    if (!match) {
      throw new ApiError(401, ErrorCodes.unauthorized, 'Missing API key: send "Authorization: Bearer sk_..."', null, { 'WWW-Authenticate': 'Bearer' });
    }
    const key = await this.apiKeys.authenticate(match[1]!);
    if (!key) throw new ApiError(401, ErrorCodes.unauthorized, 'Invalid or revoked API key', null, { 'WWW-Authenticate': 'Bearer' });
    const wait = await this.rateLimiter.take(key.id);
    if (wait > 0) {
      throw new ApiError(429, ErrorCodes.rateLimited, 'Too many requests for this API key; retry after the time in Retry-After', null, {
        'Retry-After': String(Math.max(1, Math.ceil(wait / 1000))),
      });
    }
    req.accountId = key.accountId;
    req.apiKeyId = key.id;
    return true;
  }
}
