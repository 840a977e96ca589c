import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CallEvent, CallTimeline, ErrorCodes, isTerminalStatus, Transcript } from '@parley/common';
import { Bus } from '@parley/service-kit';
import { ApiError } from '../http/api-error';
import { AccountId, ApiRoute } from '../http/api-route';
import { CallsService } from './calls.service';
import { TranscriptsService } from './transcripts.service';

@Controller('v1/calls/:id')
export class TranscriptsController {
  constructor(
    private readonly calls: CallsService,
    private readonly transcripts: TranscriptsService,
    private readonly bus: Bus,
  ) {}

  @Get('events')
  @ApiRoute({ tag: 'Calls', summary: "The call's recorded events, oldest first: why it ended, failed, or what its agent could not do", response: CallTimeline })
  async events(@AccountId() accountId: string, @Param('id') id: string) {
    return this.calls.timeline(await this.calls.get(accountId, id));
  }

  @Get('transcript')
  @ApiRoute({ tag: 'Calls', summary: "The call's transcript so far", response: Transcript })
  async transcript(@AccountId() accountId: string, @Param('id') id: string) {
    const call = await this.calls.get(accountId, id);
    return { object: 'transcript' as const, call_id: call.id, segments: await this.transcripts.segments(call) };
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
    // The bus tells of the end before the projection has written it: `end` waits (a little) for the row, so a client
    // that reads the call when its stream ends sees the final status.
    let ending = false;
    const end = async (status: string) => {
      if (ending || closed) return;
      ending = true;
      const row = await this.calls.waitForTerminal(accountId, id, 2000).catch(() => null);
      finish(row?.status ?? status);
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
            if (endedStatus) void end(endedStatus);
          } else if (e.type === 'ended') {
            endedStatus = e.data.status;
            // Unanswered calls have no conversation to wait for; answered ones wait briefly for media's last segments.
            const status = e.data.status;
            if (!e.data.answered) void end(status);
            else setTimeout(() => void end(status), 3000).unref();
          }
        }
      })();
    }
    for (const s of await this.transcripts.segments(call)) {
      if (!sent.has(s.index)) (sent.add(s.index), write('segment', s));
    }
    const now = await this.calls.get(accountId, id);
    if (isTerminalStatus(now.status)) finish(now.status);
  }

  @Get('recording')
  @ApiRoute({
    tag: 'Calls',
    summary: 'Stereo WAV recording (caller left, agent right); 404 until there is one. One byte range may be asked for (`Range: bytes=a-b`), answered 206',
    produces: 'audio/wav',
    alsoStatus: { 206: 'The byte range asked for (`Content-Range`)' },
    errors: [416, 503],
    errorCodes: {
      404: '`resource_not_found`: no recording (yet), or its file is gone. `recording_not_ready`: the call is over and its recording finished, but the media process is still uploading it to the recording store; retry after `Retry-After` seconds',
      416: '`range_not_satisfiable`: the range starts past the end (`Content-Range: bytes */<size>`)',
      503: '`service_unavailable`: the recording store (S3) could not be reached, or this api has no settings for the store the recording is in',
    },
  })
  async recording(@AccountId() accountId: string, @Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const call = await this.calls.get(accountId, id);
    const read = await this.transcripts.recording(call, req.headers.range);
    if ('unsatisfiable' in read) {
      const size = read.unsatisfiable.size;
      throw new ApiError(416, ErrorCodes.rangeNotSatisfiable, `The recording has ${size} bytes`, null, { 'Content-Range': `bytes */${size}` });
    }
    const { stream, size, range } = read.body;
    void reply
      .code(range ? 206 : 200)
      .header('Content-Type', 'audio/wav')
      .header('Accept-Ranges', 'bytes')
      .header('Content-Length', String(range ? range.end - range.start + 1 : size))
      .header('Content-Disposition', `inline; filename="${call.id}.wav"`);
    if (range) void reply.header('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    void reply.send(stream);
  }
}
