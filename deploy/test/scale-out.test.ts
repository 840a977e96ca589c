import { describe, expect, it } from 'vitest';
import { loadDialerConfig } from '../../apps/dialer/src/config';
import { loadMediaConfig } from '../../apps/media/src/config';
import { type ComposeFile, type ComposeService, composeValidator, inSubnet, interpolate, parsePort, readComposeRaw } from './support/compose';
import { envRecord } from './support/dotenv';
import { composeWithEnv, envExample, path, read } from './support/repo';

// deploy/scale-out.yml, the override that adds dialer-2, media-2 and media-3: merged over docker-compose.yml as
// `docker compose -f docker-compose.yml -f deploy/scale-out.yml` would (its services are new ones, so the merge is
// their union), interpolated with .env.example.
const env = envRecord(envExample());
const { compose: main } = composeWithEnv();
const override = interpolate(readComposeRaw(path('deploy/scale-out.yml')) as ComposeFile, env).doc;
const merged: ComposeFile = { ...main, services: { ...main.services, ...override.services } };
const REPLICAS = { 'dialer-2': 'dialer', 'media-2': 'media', 'media-3': 'media' } as const;
const address = (s: ComposeService) => (s.networks as Record<string, { ipv4_address?: string }>).parley!.ipv4_address!;
const published = (s: ComposeService) => (s.ports ?? []).map((p) => parsePort(p));

describe('deploy/scale-out.yml', () => {
  it('adds a second dialer and two media processes, and the merged file is valid Compose', () => {
    expect(Object.keys(override.services).sort()).toEqual(Object.keys(REPLICAS).sort());
    const validate = composeValidator();
    expect(validate(merged), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('runs each replica as its original runs (image, command, limits, volumes, dependencies, health check)', () => {
    for (const [name, original] of Object.entries(REPLICAS)) {
      const r = override.services[name]!;
      const o = main.services[original]!;
      for (const key of ['image', 'command', 'env_file', 'restart', 'volumes', 'depends_on', 'healthcheck', 'expose'] as const) expect(r[key], `${name}.${key}`).toEqual(o[key]);
      expect((r as Record<string, unknown>).ulimits, `${name}.ulimits`).toEqual((o as Record<string, unknown>).ulimits);
      expect(r.build, `${name} runs the image the main file builds`).toBeUndefined();
    }
  });

  it('names every dialer and media process apart, and each config loads with .env.example under it', () => {
    const ids = (key: 'DIALER_ID' | 'MEDIA_ID') => Object.values(override.services).flatMap((s) => (s.environment?.[key] ? [s.environment[key]] : []));
    expect(new Set(ids('DIALER_ID')).size).toBe(1);
    expect(new Set(ids('MEDIA_ID')).size).toBe(2);
    // The main dialer and media keep .env.example's empty id (their host name and pid), never one of these.
    expect(env.MEDIA_ID ?? '').toBe('');
    for (const [name, s] of Object.entries(override.services)) {
      const load = name.startsWith('media') ? loadMediaConfig : loadDialerConfig;
      expect(() => load({ ...env, ...s.environment }), name).not.toThrow();
    }
  });

  it('gives each media process its own address in the project network and its own published WebRTC ports', () => {
    const subnet = env.PARLEY_SUBNET!;
    const taken = [address(main.services.media!), address(main.services['asterisk-sim']!)];
    const mainRanges = published(main.services.media!);
    for (const name of ['media-2', 'media-3']) {
      const s = override.services[name]!;
      const ip = address(s);
      expect(inSubnet(ip, subnet), `${name} ${ip} in ${subnet}`).toBe(true);
      expect(taken, `${name} ${ip} is free`).not.toContain(ip);
      taken.push(ip);
      // What it tells the dialer (ExternalMedia's host) and where it gathers ICE candidates: its own address.
      expect(s.environment!.MEDIA_RTP_HOST).toBe(ip);
      expect(s.environment!.MEDIA_WEBRTC_HOST).toBe(ip);
      const [range] = published(s);
      expect(published(s)).toHaveLength(1);
      expect(`${range!.published[0]}-${range!.published[1]}`).toBe(s.environment!.MEDIA_WEBRTC_PORTS);
      expect(range!.target).toEqual(range!.published);
      expect(range!.protocol).toBe('udp');
      for (const other of [...mainRanges, ...Object.entries(override.services).filter(([n]) => n !== name).flatMap(([, o]) => published(o))]) {
        expect(range!.published[1] < other.published[0] || range!.published[0] > other.published[1], `${name}'s ${range!.published.join('-')} overlaps ${other.published.join('-')}`).toBe(true);
      }
    }
  });

  it('is documented in deploy/README.md with how to start it', () => {
    expect(read('deploy/README.md')).toContain('docker compose -f docker-compose.yml -f deploy/scale-out.yml up -d');
  });
});
