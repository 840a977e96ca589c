import { describe, expect, it } from 'vitest';
import { parseAsteriskConfig, section, value } from './support/asterisk-config';
import { type ComposeService, composeValidator, healthcheckCommand, inSubnet, parsePort } from './support/compose';
import { imageTag, isPinnedImage, readDockerfile } from './support/dockerfile';
import { envRecord } from './support/dotenv';
import { composeWithEnv, envExample, parleyServices, path, read } from './support/repo';
import { PROCESSES } from '../../packages/launcher/src/processes';

const { compose, referenced } = composeWithEnv();
const env = envRecord(envExample());
const services = compose.services;

/** The five services and the port each one's /healthz answers on (the table). */
const HEALTHZ_PORTS: Record<string, number> = { api: 3000, dialer: 3001, media: 3002, extractor: 3003, webhooks: 3004 };

const isOneShot = (s: ComposeService) => s.restart === 'no';

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    const validate = composeValidator();
    const ok = validate(compose);
    expect(ok, JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The validator does reject what compose rejects: a misspelt key and an unknown depends_on condition.
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services.api!.helthcheck = broken.services.api!.healthcheck;
    broken.services.dialer!.depends_on = { api: { condition: 'service_ready' } };
    expect(validate(broken)).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath)).toEqual(expect.arrayContaining(['/services/api', '/services/dialer/depends_on/api/condition']));
  });

  it('pins every image it pulls to an exact release, and tags every image it builds', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, `${name} names its image`).toBeTruthy();
      if (s.build) expect(imageTag(s.image!), `${name}: built image needs an explicit tag other than latest`).toMatch(/^(?!latest$)[\w.-]+$/);
      else expect(isPinnedImage(s.image!), `${name}: ${s.image} is not pinned to an exact release`).toBe(true);
    }
  });

  it('tags the Asterisk image with the version its Dockerfile builds', () => {
    const stages = readDockerfile(path('deploy/asterisk/Dockerfile'));
    const version = /ASTERISK_VERSION=(\S+)/.exec(stages[0]!.instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith('ASTERISK_VERSION'))!.args)![1];
    expect(services.asterisk!.image).toBe(`parley-asterisk:${version}`);
    expect(services.asterisk!.build).toEqual({ context: 'deploy/asterisk' });
  });

  it('runs the five services, the simulator and the sandbox model from the root Dockerfile', () => {
    const names = parleyServices(compose).map(([n]) => n);
    for (const n of ['api', 'dialer', 'media', 'extractor', 'webhooks', 'asterisk-sim', 'sandbox-llm']) expect(names).toContain(n);
    for (const [, s] of parleyServices(compose)) {
      expect(s.image).toBe('parley:local');
      expect(s.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    }
  });

  it("starts each process with its package's own entry point and Node options", () => {
    const packageDir: Record<string, string> = {
      api: 'apps/api',
      dialer: 'apps/dialer',
      media: 'apps/media',
      extractor: 'apps/extractor',
      webhooks: 'apps/webhooks',
      'asterisk-sim': 'packages/asterisk-sim',
      'sandbox-llm': 'packages/sandbox-llm',
    };
    for (const [name, dir] of Object.entries(packageDir)) {
      const start = JSON.parse(read(dir, 'package.json')).scripts.start as string;
      const [node, ...args] = start.split(' ');
      const file = args.pop();
      expect(node, `${dir} start script`).toBe('node');
      expect(file && args.every((a) => a.startsWith('--')), `${dir} start script`).toBe(true);
      expect(services[name]!.command, name).toEqual(['node', ...args, `${dir}/${file}`]);
      // `pnpm start` / `pnpm demo` (the launcher) start it the same way.
      const spec = PROCESSES.find((p) => p.name === name)!;
      expect([...(spec.nodeArgs ?? []), spec.entry], `launcher: ${name}`).toEqual([...args, `${dir}/${file}`]);
    }
  });

  it('gives every long-running service a healthcheck, and one-shot jobs none that anything waits on', () => {
    for (const [name, s] of Object.entries(services)) {
      if (isOneShot(s)) continue;
      const cmd = healthcheckCommand(s.healthcheck);
      expect(cmd, `${name} has a healthcheck`).not.toBeNull();
      expect(['CMD', 'CMD-SHELL']).toContain(cmd![0]);
      expect(s.healthcheck!.interval && s.healthcheck!.timeout && s.healthcheck!.retries, `${name} healthcheck timing`).toBeTruthy();
    }
  });

  it('checks /healthz of the five services on their documented ports', () => {
    for (const [name, port] of Object.entries(HEALTHZ_PORTS)) {
      expect(healthcheckCommand(services[name]!.healthcheck), name).toEqual(['CMD', 'node', 'deploy/healthcheck.mjs', `http://127.0.0.1:${port}/healthz`]);
    }
    expect(read('packages/service-kit/src/service-kit.module.ts')).toMatch(/@Get\('healthz'\)/);
  });

  it('waits only on services that exist, are healthy-checkable, and are in the same profiles', () => {
    const graph = new Map<string, string[]>();
    for (const [name, s] of Object.entries(services)) {
      graph.set(name, Object.keys(s.depends_on ?? {}));
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = services[dep];
        expect(target, `${name} depends on unknown service ${dep}`).toBeDefined();
        expect(['service_healthy', 'service_completed_successfully'], `${name} -> ${dep}`).toContain(condition);
        if (condition === 'service_healthy') expect(healthcheckCommand(target!.healthcheck), `${name} waits for ${dep} to be healthy, which has no healthcheck`).not.toBeNull();
        if (condition === 'service_completed_successfully') expect(isOneShot(target!), `${dep} must be a one-shot job`).toBe(true);
        // A service that always runs cannot wait for one that only runs in a profile.
        if (!s.profiles) expect(target!.profiles, `${name} (no profile) depends on ${dep} (profiles ${target!.profiles})`).toBeUndefined();
      }
    }
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (n: string, trail: string[]) => {
      if (done.has(n)) return;
      expect(visiting.has(n), `dependency cycle: ${[...trail, n].join(' -> ')}`).toBe(false);
      visiting.add(n);
      for (const d of graph.get(n) ?? []) visit(d, [...trail, n]);
      visiting.delete(n);
      done.add(n);
    };
    for (const n of graph.keys()) visit(n, []);
  });

  it('starts the services that share the database after the api, which runs the migrations', () => {
    for (const name of ['dialer', 'media', 'extractor', 'webhooks']) expect(services[name]!.depends_on?.api).toEqual({ condition: 'service_healthy' });
    expect(services.api!.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, nats: { condition: 'service_healthy' } });
    expect(services.dialer!.depends_on).toMatchObject({ asterisk: { condition: 'service_healthy' }, 'asterisk-sim': { condition: 'service_healthy' } });
  });

  it('publishes the api on 127.0.0.1 only', () => {
    expect((services.api!.ports ?? []).map(parsePort)).toEqual([{ hostIp: '127.0.0.1', published: [3000, 3000], target: [3000, 3000], protocol: 'tcp' }]);
  });

  it("publishes Asterisk's SIP port and exactly the RTP range of rtp.conf, and not ARI", () => {
    const ports = (services.asterisk!.ports ?? []).map(parsePort);
    const rtp = section(parseAsteriskConfig(read('deploy/asterisk/rtp.conf')), 'general');
    const range: [number, number] = [Number(value(rtp, 'rtpstart')), Number(value(rtp, 'rtpend'))];
    expect(ports).toContainEqual({ hostIp: null, published: [5060, 5060], target: [5060, 5060], protocol: 'udp' });
    expect(ports).toContainEqual({ hostIp: null, published: [5060, 5060], target: [5060, 5060], protocol: 'tcp' });
    expect(ports).toContainEqual({ hostIp: null, published: range, target: range, protocol: 'udp' });
    const http = section(parseAsteriskConfig(read('deploy/asterisk/http.conf')), 'general');
    const ari = Number(value(http, 'bindport'));
    expect(ports.some((p) => p.target[0] <= ari && ari <= p.target[1] && p.protocol === 'tcp'), 'ARI must not be published').toBe(false);
    expect(services.asterisk!.expose).toContain(String(ari));
  });

  it('publishes media\'s RTP range (MEDIA_RTP_PORTS, UDP) on loopback, its web calls\' range on every interface, and gives media the fixed MEDIA_RTP_HOST address', () => {
    const [first, last] = env.MEDIA_RTP_PORTS!.split('-').map(Number);
    const [webFirst, webLast] = env.MEDIA_WEBRTC_PORTS!.split('-').map(Number);
    expect((services.media!.ports ?? []).map(parsePort)).toEqual([
      { hostIp: '127.0.0.1', published: [first, last], target: [first, last], protocol: 'udp' },
      { hostIp: null, published: [webFirst, webLast], target: [webFirst, webLast], protocol: 'udp' },
    ]);
    // ICE binds media's own address in its container; browsers are given the published one.
    expect(env.MEDIA_WEBRTC_HOST).toBe(env.MEDIA_RTP_HOST);
    expect(referenced).toContain('MEDIA_RTP_PORTS');
    expect(services.media!.networks).toEqual({ parley: { ipv4_address: env.MEDIA_RTP_HOST } });
    expect(services['asterisk-sim']!.networks).toEqual({ parley: { ipv4_address: env.SIM_RTP_HOST } });
    const subnet = compose.networks!.parley!.ipam!.config![0]!.subnet!;
    expect(inSubnet(env.MEDIA_RTP_HOST!, subnet), `MEDIA_RTP_HOST in ${subnet}`).toBe(true);
    expect(inSubnet(env.SIM_RTP_HOST!, subnet), `SIM_RTP_HOST in ${subnet}`).toBe(true);
  });

  it('publishes nothing else on a public interface', () => {
    for (const [name, s] of Object.entries(services)) {
      if (name === 'asterisk') continue;
      for (const p of (s.ports ?? []).map(parsePort)) {
        if (name === 'media' && p.protocol === 'udp' && `${p.target[0]}-${p.target[1]}` === env.MEDIA_WEBRTC_PORTS) continue;
        expect(p.hostIp, `${name} publishes ${JSON.stringify(p)}`).toBe('127.0.0.1');
      }
    }
  });

  it('hands every Parley process the .env file, and Asterisk only its own variables', () => {
    for (const [name, s] of parleyServices(compose)) if (!isOneShot(s)) expect(s.env_file, name).toBe('.env');
    expect(services.asterisk!.env_file).toBeUndefined();
    const entrypoint = read('deploy/asterisk/docker-entrypoint.sh');
    for (const key of Object.keys(services.asterisk!.environment ?? {})) expect(entrypoint, `entrypoint reads ${key}`).toContain(key);
  });

  it('keeps data in volumes: Postgres, JetStream, pushed trunks, recordings and models', () => {
    const mounts = (name: string) => (services[name]!.volumes ?? []).map((v) => v.split(':').slice(0, 2));
    expect(mounts('postgres')).toContainEqual(['postgres-data', '/var/lib/postgresql/data']);
    expect(services.nats!.command).toEqual(['-js', '-sd', '/data', '-m', '8222']);
    expect(mounts('nats')).toContainEqual(['nats-data', '/data']);
    expect(healthcheckCommand(services.nats!.healthcheck)!.join(' ')).toContain('http://127.0.0.1:8222/healthz');
    const astdbdir = value(section(parseAsteriskConfig(read('deploy/asterisk/asterisk.conf')), 'directories'), 'astdbdir');
    expect(mounts('asterisk')).toContainEqual(['asterisk-astdb', astdbdir]);
    for (const name of ['api', 'media']) expect(mounts(name), name).toContainEqual(['recordings', env.RECORDINGS_DIR]);
    expect(mounts('media')).toContainEqual(['models', '/models']);
    expect(mounts('whisper-model')).toContainEqual(['models', '/models']);
    for (const volume of ['postgres-data', 'nats-data', 'asterisk-astdb', 'recordings', 'models']) expect(Object.keys(compose.volumes ?? {})).toContain(volume);
  });

  it('offers the llm and whisper-model profiles', () => {
    expect(services.ollama!.profiles).toEqual(['llm']);
    expect(services['ollama-pull']!.profiles).toEqual(['llm']);
    expect(services['ollama-pull']!.command).toEqual(['pull', env.OLLAMA_MODEL]);
    expect(services['whisper-model']!.profiles).toEqual(['whisper-model']);
    expect(services['whisper-model']!.command).toEqual(['node', 'deploy/fetch-whisper-model.mjs']);
  });

  it('points the services at the compose hosts and ports that serve them', () => {
    const listens: Record<string, number[]> = { postgres: [5432], nats: [4222] };
    for (const [name, s] of Object.entries(services)) {
      for (const e of s.expose ?? []) (listens[name] ??= []).push(Number(e));
      for (const p of (s.ports ?? []).map(parsePort)) if (p.protocol === 'tcp') (listens[name] ??= []).push(p.target[0]);
    }
    const urls = Object.entries(env).filter(([, v]) => /^[a-z]+:\/\//.test(v));
    expect(urls.length).toBeGreaterThan(4);
    for (const [key, raw] of urls) {
      const url = new URL(raw);
      if (!(url.hostname in services)) continue;
      const port = Number(url.port || { postgres: 5432, nats: 4222, http: 80, https: 443 }[url.protocol.replace(/:$/, '')]);
      expect(listens[url.hostname], `${key}=${raw}: ${url.hostname} does not listen on ${port}`).toContain(port);
    }
    const db = new URL(env.DATABASE_URL!);
    expect([db.hostname, db.username, db.password, db.pathname.slice(1)]).toEqual(['postgres', env.POSTGRES_USER, env.POSTGRES_PASSWORD, env.POSTGRES_DB]);
    expect(new URL(env.ARI_URL!).hostname).toBe('asterisk');
    expect(new URL(env.SIM_ARI_URL!).hostname).toBe('asterisk-sim');
    expect(new URL(env.NATS_URL!).hostname).toBe('nats');
  });
});
