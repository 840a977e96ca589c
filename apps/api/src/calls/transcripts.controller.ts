import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CallEvent, ErrorCodes, isTerminalStatus, Transcript, TranscriptSegment } from '@parley/common';
import { type DataSource, RecordingEntity, TranscriptSegmentEntity } from '@parley/db';
import { Bus, DATA_SOURCE } from '@parley/service-kit';
import { API_CONFIG, type ApiConfig } from '../config';
import { ApiError } from '../http/api-error';
import { AccountId, ApiRoute } from '../http/api-route';
import { CallsService } from './calls.service';

function segmentView(s: TranscriptSegmentEntity): TranscriptSegment {
  return { index: s.index, role: s.role, text: s.text, start_ms: s.startMs, end_ms: s.endMs, interrupted: s.interrupted };
}

@Controller('v1/calls/:id')
export class TranscriptsController {
  constructor(
    private readonly calls: CallsService,
    private readonly bus: Bus,
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  private segments(callId: string) {
    return this.ds.getRepository(TranscriptSegmentEntity).find({ where: { callId }, order: { index: 'ASC' } });
  }

  @Get('transcript')
  @ApiRoute({ tag: 'Calls', summary: "The call's transcript so far", response: Transcript })
  async transcript(@AccountId() accountId: string, @Param('id') id: string) {
    const call = await this.calls.get(accountId, id);
    return { object: 'transcript' as const, call_id: call.id, segments: (await this.segments(call.id)).map(segmentView) };
  }

  /**
   * Server-Sent Events: every segment so far, then live ones (`event: segment`), and `event: end` with the final
   * status once the call is over. Subscribes before reading the table, so nothing falls between the two.
   */
  @Get('transcript/stream')
  @ApiRoute({ tag: 'Calls', summary: 'Live transcript as Server-Sent Events; closes when the call ends', produces: 'text/event-stream' })
  async stream(@AccountId() accountId: string, @Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const call = await this.calls.get(accountId, id);
    const raw = reply.raw;
    const sent = new Set<number>();
    let closed = false;
    const write = (event: string, data: unknown) => {
      if (!closed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const subs = [this.bus.subjects.callEvent(call.id, 'transcript'), this.bus.subjects.callEvent(call.id, 'ended'), this.bus.subjects.callEvent(call.id, 'conversation_ended')].map((subject) =>
      this.bus.connection.subscribe(subject),
    );
    const finish = (status: string) => {
      if (closed) return;
      write('end', { call_id: call.id, status });
      closed = true;
      for (const s of subs) s.unsubscribe();
      clearInterval(heartbeat);
      raw.end();
    };
    raw.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    const heartbeat = setInterval(() => !closed && raw.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => {
      closed = true;
      for (const s of subs) s.unsubscribe();
      clearInterval(heartbeat);
    });
    const decoder = new TextDecoder();
    let endedStatus: string | null = null;
    for (const sub of subs) {
      void (async () => {
        for await (const m of sub) {
          const parsed = CallEvent.safeParse(JSON.parse(decoder.decode(m.data)));
          if (!parsed.success) continue;
          const e = parsed.data;
          if (e.type === 'transcript' && !sent.has(e.data.segment.index)) {
            sent.add(e.data.segment.index);
            write('segment', e.data.segment);
          } else if (e.type === 'conversation_ended') {
            for (const s of e.data.segments) if (!sent.has(s.index)) (sent.add(s.index), write('segment', s));
            if (endedStatus) finish(endedStatus);
          } else if (e.type === 'ended') {
            endedStatus = e.data.status;
            // Unanswered calls have no conversation to wait for; answered ones wait briefly for media's last segments.
            const status = e.data.status;
            if (!e.data.answered) finish(status);
            else setTimeout(() => finish(status), 3000).unref();
          }
        }
      })();
    }
    for (const s of await this.segments(call.id)) {
      if (!sent.has(s.index)) (sent.add(s.index), write('segment', segmentView(s)));
    }
    const now = await this.calls.get(accountId, id);
    if (isTerminalStatus(now.status)) finish(now.status);
  }

  @Get('recording')
  @ApiRoute({ tag: 'Calls', summary: 'Stereo WAV recording (caller left, agent right); 404 until there is one', produces: 'audio/wav' })
  async recording(@AccountId() accountId: string, @Param('id') id: string, @Res() reply: FastifyReply) {
    const call = await this.calls.get(accountId, id);
    const rec = await this.ds.getRepository(RecordingEntity).findOneBy({ callId: call.id });
    if (!rec) throw new ApiError(404, ErrorCodes.notFound, `Call '${id}' has no recording (yet)`, 'id');
    const path = isAbsolute(rec.path) ? rec.path : resolve(this.config.RECORDINGS_DIR, rec.path);
    const info = await stat(path).catch(() => null);
    if (!info) throw new ApiError(404, ErrorCodes.notFound, `The recording file of call '${id}' is missing`, 'id');
    void reply
      .header('Content-Type', 'audio/wav')
      .header('Content-Length', String(info.size))
      .header('Content-Disposition', `inline; filename="${call.id}.wav"`)
      .send(createReadStream(path));
  }
}
