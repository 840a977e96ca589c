import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ErrorCodes, isTerminalStatus, MediaReleaseRequest, type MediaWebRtcAnswer, WEB_CALL_TOKEN_TTL_SECONDS, type WebCallCreate, type WebCallCreated } from '@parley/common';
import { type CallEntity, CallsRepository, type DataSource, WebCallTokensRepository } from '@parley/db';
import { Bus, DATA_SOURCE, LOGGER, type Logger, MediaPlacement, Metrics } from '@parley/service-kit';
import { reserveForCall } from '../billing/credits';
import { API_CONFIG, type ApiConfig } from '../config';
import { ApiError } from '../http/api-error';
import { newId } from '../http/ids';
import { callView } from './call.view';
import { newCallRow } from './call-row';
import { CallsService } from './calls.service';
import { conversationSnapshot } from './conversation-snapshot';

/** How long the api waits for each media process it asks to answer a browser's offer (ICE candidates gathered). */
const OFFER_TIMEOUT_MS = 10_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Web calls: a call whose caller is a browser over WebRTC, with no trunk and no numbers. Creating one answers with a
 * single-use access token (30 s); the browser posts its SDP offer with it (WHIP-style), the api hands the offer to a
 * media process over NATS with the call's conversation snapshot, and the media process answers, runs the same
 * conversation as for a phone leg and reports the call's answer and end itself (no dialer is involved).
 */
@Injectable()
export class WebCallsService implements OnApplicationBootstrap, OnModuleDestroy {
  /** Offers go to the least loaded media process, the next on a refusal or timeout (as the dialer's phone calls). */
  private readonly placement: MediaPlacement;

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly calls: CallsRepository,
    private readonly tokens: WebCallTokensRepository,
    private readonly callsService: CallsService,
    private readonly bus: Bus,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.placement = new MediaPlacement({ bus, logger, metrics });
  }

  onApplicationBootstrap(): void {
    this.placement.start();
  }

  onModuleDestroy(): void {
    this.placement.stop();
  }

  /** The media processes' load adverts as this api hears them (which process holds a web call is alive). */
  get loads(): MediaPlacement['loads'] {
    return this.placement.loads;
  }

  async create(accountId: string, input: WebCallCreate): Promise<WebCallCreated> {
    const source = await this.calls.findNewCallSource(accountId, input.agent_id, null);
    if (!source) throw ApiError.notFound('agent', input.agent_id, 'agent_id');
    const { agent, account } = source;
    const call = newCallRow({
      id: newId.call(),
      accountId,
      agent,
      trunkId: '',
      direction: 'inbound',
      channel: 'web',
      toNumber: '',
      fromNumber: '',
      instructions: input.instructions,
      context: input.context,
      webhookUrl: input.webhook_url,
      metadata: input.metadata,
      reservedMilliCents: 0,
    });
    const token = `wct_${randomBytes(24).toString('base64url')}`;
    const expiresAt = new Date(call.createdAt.getTime() + WEB_CALL_TOKEN_TTL_SECONDS * 1000);
    await this.ds.transaction(async (m) => {
      call.reservedMilliCents = await reserveForCall(m, account, call.id, agent.maxDurationSeconds, 'web');
      await this.calls.with(m).insert(call);
      await this.tokens.with(m).create({
        callId: call.id,
        accountId,
        tokenHash: hashToken(token),
        expiresAt,
        conversation: conversationSnapshot(call, agent, account.webhookSecret),
        maxDurationSeconds: agent.maxDurationSeconds,
      });
    });
    return { ...callView(call), access_token: token, access_token_expires_at: expiresAt.toISOString(), ice_servers: this.config.WEB_CALL_ICE_SERVERS };
  }

  /**
   * The browser's offer, with its access token: uses the token (once, before it expires), has a media process answer,
   * and gives back the call id and the answer. A call ended meanwhile (canceled through the API) is not connected.
   */
  async connect(authorization: string | undefined, sdp: unknown): Promise<{ callId: string; sdp: string }> {
    const token = bearer(authorization);
    if (typeof sdp !== 'string' || !sdp.startsWith('v=0')) throw ApiError.invalid('The body must be an SDP offer (Content-Type: application/sdp)', 'body');
    const redeemed = await this.tokens.redeem(hashToken(token));
    if (!redeemed.ok) {
      const why = {
        invalid: [ErrorCodes.accessTokenInvalid, 'This access token is not one Parley issued'],
        expired: [ErrorCodes.accessTokenExpired, `This access token expired (${WEB_CALL_TOKEN_TTL_SECONDS} s after POST /v1/calls/web); create another web call`],
        used: [ErrorCodes.accessTokenUsed, 'This access token was already used: each web call connects once; create another web call'],
      }[redeemed.reason];
      throw new ApiError(401, why[0]!, why[1]!, 'Authorization');
    }
    const call = await this.callsService.get(redeemed.accountId, redeemed.callId);
    if (call.status !== 'queued') throw ApiError.conflict(ErrorCodes.callAlreadyEnded, `Call '${call.id}' already ended (${call.status})`, 'Authorization');
    const s = this.bus.subjects;
    const answer: MediaWebRtcAnswer = await this.placement.offerWebCall({ call_id: call.id, sdp, conversation: redeemed.conversation, max_duration_seconds: redeemed.maxDurationSeconds }, OFFER_TIMEOUT_MS);
    if (!answer.ok) {
      this.logger.warn({ call_id: call.id, error: answer.error }, 'no media process answered a web call');
      await this.callsService.endHere(call, { status: 'failed', hangupCause: `No media process took the web call: ${answer.error}`, errorCode: ErrorCodes.webCallUnavailable });
      throw new ApiError(503, ErrorCodes.webCallUnavailable, 'No media process could take the call right now; create another web call and retry', null);
    }
    if (answer.media_id) await this.tokens.recordHolder(call.id, answer.media_id, this.placement.loads.startedAt(answer.media_id));
    // Canceled while the offer was being answered (no media process held it yet): the one that answered lets go.
    const now = await this.callsService.get(call.accountId, call.id);
    if (isTerminalStatus(now.status)) {
      this.bus.connection.publish(s.mediaSession(call.id, 'release'), JSON.stringify(MediaReleaseRequest.parse({ call_id: call.id, reason: 'api' })));
      throw ApiError.conflict(ErrorCodes.callAlreadyEnded, `Call '${call.id}' ended (${now.status}) while it was connecting`, 'Authorization');
    }
    return { callId: call.id, sdp: answer.sdp };
  }

  /**
   * The page hangs up (WHIP's DELETE on the session): with the call's own access token, used or not, the media
   * process holding the call ends it as the caller's hang-up. A call not connected yet is canceled; an ended one is
   * left as it is.
   */
  async hangup(authorization: string | undefined, callId: string): Promise<void> {
    const issued = await this.tokens.callOf(hashToken(bearer(authorization)));
    if (!issued || issued.callId !== callId) throw new ApiError(401, ErrorCodes.accessTokenInvalid, "This access token is not this web call's", 'Authorization');
    const call = await this.callsService.get(issued.accountId, callId);
    if (isTerminalStatus(call.status)) return;
    await this.callsService.endWebCall(call, 'caller_hangup', null);
  }
}

function bearer(authorization: string | undefined): string {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token) throw new ApiError(401, ErrorCodes.accessTokenInvalid, 'Send the web call access token as "Authorization: Bearer <access_token>"', 'Authorization');
  return token;
}
