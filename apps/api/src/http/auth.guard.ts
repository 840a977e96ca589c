import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ErrorCodes } from '@parley/common';
import { ApiKeyCache } from '../accounts/api-key-cache';
import { API_CONFIG, type ApiConfig } from '../config';
import { ApiError } from './api-error';
import { type AuthedRequest, routeSpecOf } from './api-route';
import { RateLimiter } from './rate-limiter';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Bearer API key on every `/v1` route (the admin token on `/v1/admin` ones), then the per-key rate limit. */
@Injectable()
export class AuthGuard implements CanActivate {
  /** The admin token's digest (compared in constant time), null when the admin API is off. */
  private readonly adminToken: Buffer | null;

  constructor(
    private readonly apiKeys: ApiKeyCache,
    private readonly rateLimiter: RateLimiter,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.adminToken = config.PARLEY_ADMIN_TOKEN ? digest(config.PARLEY_ADMIN_TOKEN) : null;
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const spec = routeSpecOf(ctx);
    if (!spec || spec.auth === false) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
    if (spec.auth === 'admin') return this.admin(match?.[1]);
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

  /** The platform's admin token (never an account's key), rate-limited as one key. */
  private async admin(token: string | undefined): Promise<boolean> {
    if (!this.adminToken) throw new ApiError(403, ErrorCodes.adminApiDisabled, 'The admin API is off: set PARLEY_ADMIN_TOKEN on the api (or use pnpm parley)', null);
    if (!token || !timingSafeEqual(digest(token), this.adminToken)) {
      throw new ApiError(401, ErrorCodes.unauthorized, 'Invalid admin token: send "Authorization: Bearer <PARLEY_ADMIN_TOKEN>"', null, { 'WWW-Authenticate': 'Bearer' });
    }
    const wait = await this.rateLimiter.take('admin');
    if (wait > 0) throw new ApiError(429, ErrorCodes.rateLimited, 'Too many admin requests; retry after the time in Retry-After', null, { 'Retry-After': String(Math.max(1, Math.ceil(wait / 1000))) });
    return true;
  }
}
