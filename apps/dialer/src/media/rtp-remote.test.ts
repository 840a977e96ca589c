import { describe, expect, it } from 'vitest';
import { rtpRemoteOf } from './media-leg';

describe('rtpRemoteOf', () => {
  it("reads where Asterisk receives the ExternalMedia leg's RTP from the response's channel variables", () => {
    expect(rtpRemoteOf({ UNICASTRTP_LOCAL_ADDRESS: '127.0.0.1', UNICASTRTP_LOCAL_PORT: '10058' })).toEqual({ address: '127.0.0.1', port: 10058 });
    expect(rtpRemoteOf({ UNICASTRTP_LOCAL_ADDRESS: '127.0.0.1' })).toBeUndefined();
    expect(rtpRemoteOf({ UNICASTRTP_LOCAL_ADDRESS: '', UNICASTRTP_LOCAL_PORT: '10058' })).toBeUndefined();
    expect(rtpRemoteOf(undefined)).toBeUndefined();
  });
});
