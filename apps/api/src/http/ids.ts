import { randomBytes, randomUUID } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base62 string (rejection sampling, so every character is uniform). */
export function base62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export const newId = {
  account: () => `acct_${base62(16)}`,
  apiKey: () => `key_${base62(16)}`,
  trunk: () => `trk_${base62(16)}`,
  asterisk: () => `ast_${base62(16)}`,
  number: () => `pn_${base62(16)}`,
  agent: () => randomUUID(),
  call: () => randomUUID(),
  event: () => randomUUID(),
};
