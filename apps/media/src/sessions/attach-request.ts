import { z } from 'zod';
import { MediaAttachRequest } from '@parley/common';

/**
 * MediaAttachRequest plus where Asterisk receives RTP for this channel (the ExternalMedia
 * response's UNICASTRTP_LOCAL_ADDRESS/PORT). A two-party bridge relays nothing until the far end
 * speaks, so without it the agent cannot speak first. Optional: without it, media learns the
 * address from Asterisk's first packet. (To move into @parley/common with the dialer filling it.)
 */
export const MediaAttachWithRemote = MediaAttachRequest.extend({
  rtp_remote: z.object({ address: z.string().min(1), port: z.number().int().min(1).max(65535) }).optional(),
});
export type MediaAttachWithRemote = z.infer<typeof MediaAttachWithRemote>;
