import { describe, expect, it } from 'vitest';
import { DEV_SECRET_KEY, SecretBox, secretBoxFromEnv } from './secret-box';

describe('SecretBox', () => {
  it('opens what the previous key sealed while PARLEY_SECRET_KEY_PREVIOUS is set, and seals only with the current key', () => {
    const old = new SecretBox('key-one').seal('whsec_abc');
    const rotating = new SecretBox('key-two', 'key-one');
    expect(rotating.open(old)).toBe('whsec_abc');
    expect(rotating.sealedWithCurrentKey(old)).toBe(false);
    const fresh = rotating.seal('whsec_abc');
    expect(rotating.sealedWithCurrentKey(fresh)).toBe(true);
    expect(new SecretBox('key-two').open(fresh)).toBe('whsec_abc');
    expect(() => new SecretBox('key-two').open(old)).toThrow(/does not open with PARLEY_SECRET_KEY/);
    expect(() => new SecretBox('key-three', 'key-four').open(old)).toThrow(/neither PARLEY_SECRET_KEY nor PARLEY_SECRET_KEY_PREVIOUS/);
  });

  it('tells sealed values from plaintext ones', () => {
    expect(SecretBox.isSealed(new SecretBox('k').seal(''))).toBe(true);
    expect(SecretBox.isSealed('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe(false);
    expect(SecretBox.isSealed('Bearer v1:abc')).toBe(false);
  });

  it('is built from the environment as the services build it, the development key by default', () => {
    const sealed = new SecretBox(DEV_SECRET_KEY).seal('s');
    expect(secretBoxFromEnv({}).open(sealed)).toBe('s');
    expect(secretBoxFromEnv({ PARLEY_SECRET_KEY: '' }).open(sealed)).toBe('s');
    expect(secretBoxFromEnv({ PARLEY_SECRET_KEY: 'new', PARLEY_SECRET_KEY_PREVIOUS: DEV_SECRET_KEY }).open(sealed)).toBe('s');
  });
});
