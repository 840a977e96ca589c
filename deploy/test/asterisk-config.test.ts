import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIO_CODECS, TRUNK_TRANSPORTS } from '../../packages/common/src/enums';
import { DialerConfigSchema } from '../../apps/dialer/src/config';
import { pjsipObjectsOf } from '../../apps/dialer/src/trunks/trunk-provisioner';
import { type AsteriskConfig, AsteriskConfigError, parseAsteriskConfig, section, sectionsNamed, value, values } from './support/asterisk-config';
import { envRecord } from './support/dotenv';
import { readDockerfile } from './support/dockerfile';
import { envExample, path, read } from './support/repo';

const DIR = 'deploy/asterisk';
const conf = (name: string): AsteriskConfig => parseAsteriskConfig(read(DIR, name), name);
const env = envRecord(envExample());

/** Modules without which Parley's calls do not work (ARI, Stasis, PJSIP trunks, ExternalMedia, bridges, codecs). */
const REQUIRED_MODULES = [
  'app_stasis', 'app_amd', 'res_ari', 'res_ari_channels', 'res_ari_bridges', 'res_ari_asterisk', 'res_ari_events', 'res_stasis',
  'res_http_websocket', 'chan_pjsip', 'chan_rtp', 'res_pjsip', 'res_pjsip_session', 'res_pjsip_sdp_rtp',
  'res_pjsip_endpoint_identifier_ip', 'res_pjsip_outbound_registration', 'res_pjsip_outbound_authenticator_digest',
  'res_rtp_asterisk', 'res_timing_timerfd', 'res_sorcery_astdb', 'res_sorcery_config', 'bridge_simple', 'bridge_softmix',
  'codec_g722', 'codec_ulaw', 'codec_alaw', 'codec_resample',
];

/** Which sorcery.conf section maps each res_pjsip object type (the module that registers the type). */
const SORCERY_SECTION: Record<string, string> = {
  endpoint: 'res_pjsip',
  aor: 'res_pjsip',
  auth: 'res_pjsip',
  identify: 'res_pjsip_endpoint_identifier_ip',
  registration: 'res_pjsip_outbound_registration',
};
/** Sorcery wizards that can create objects (what ARI's PUT .../config/dynamic needs). */
const WRITABLE_WIZARDS = ['astdb', 'memory'];

/** Every PJSIP object the dialer pushes for trunks, over every transport it supports. */
function pushedObjects() {
  return TRUNK_TRANSPORTS.flatMap((transport) =>
    pjsipObjectsOf(
      {
        id: `trk-${transport}`,
        host: 'sip.carrier.example',
        port: 5060,
        transport,
        username: 'acme',
        fromDomain: 'carrier.example',
        codecs: [...AUDIO_CODECS],
        register: true,
      } as Parameters<typeof pjsipObjectsOf>[0],
      'secret',
      DialerConfigSchema.shape.ASTERISK_INBOUND_CONTEXT.parse(undefined),
    ).map((o) => ({ ...o, trunkTransport: transport })),
  );
}

describe('the Asterisk config parser', () => {
  it('reads sections, both option arrows, templates, appends, comments and includes', () => {
    const c = parseAsteriskConfig(
      [
        '; comment',
        '[general](!) ; a template',
        'key = a\\;b ; trailing',
        ';-- block',
        'still comment --;',
        '#tryinclude extra.conf',
        '[ctx]',
        'exten => _X.,1,Stasis(app,inbound,${EXTEN})',
        ' same => n,Hangup()',
        '[general](+)',
        'more=1',
      ].join('\n'),
    );
    expect(c.sections.map((s) => [s.name, s.modifiers])).toEqual([['general', ['!']], ['ctx', []], ['general', ['+']]]);
    expect(values(c.sections[0]!, 'key')).toEqual(['a;b']);
    expect(c.sections[1]!.options.map((o) => [o.key, o.value])).toEqual([['exten', '_X.,1,Stasis(app,inbound,${EXTEN})'], ['same', 'n,Hangup()']]);
    expect(c.includes).toEqual([{ directive: 'tryinclude', file: 'extra.conf', line: 6 }]);
  });

  it('refuses what Asterisk would not read', () => {
    expect(() => parseAsteriskConfig('key = value')).toThrow(AsteriskConfigError);
    expect(() => parseAsteriskConfig('[general\nkey = value')).toThrow(/bad section header/);
    expect(() => parseAsteriskConfig('[general]\njust words')).toThrow(/not an option/);
    expect(() => parseAsteriskConfig('[general]\n#exec /bin/true')).toThrow(/unknown directive/);
    expect(() => parseAsteriskConfig('[general]\n;-- never closed')).toThrow(/unterminated/);
  });
});

describe('deploy/asterisk configs', () => {
  const files = readdirSync(path(DIR)).filter((f) => f.endsWith('.conf'));

  it('all parse, and include only files that exist, are written at start, or are optional', () => {
    expect(files).toEqual(expect.arrayContaining(['asterisk.conf', 'http.conf', 'ari.conf', 'pjsip.conf', 'extensions.conf', 'rtp.conf', 'modules.conf', 'sorcery.conf', 'logger.conf']));
    const entrypoint = read(DIR, 'docker-entrypoint.sh');
    for (const file of files) {
      for (const inc of conf(file).includes) {
        if (inc.file.startsWith('parley/')) expect(entrypoint, `${file} includes ${inc.file}`).toContain(`$conf/${inc.file.slice('parley/'.length)}`);
        else if (inc.directive === 'include') expect(files, `${file} includes ${inc.file}`).toContain(inc.file);
      }
    }
  });

  it('serves ARI over HTTP on the port ARI_URL names', () => {
    const http = section(conf('http.conf'), 'general');
    expect(value(http, 'enabled')).toBe('yes');
    expect(value(http, 'bindaddr')).toBe('0.0.0.0');
    expect(value(http, 'bindport')).toBe(new URL(env.ARI_URL!).port);
    expect(new URL(env.ARI_URL!).pathname).toBe('/ari');
    const ari = conf('ari.conf');
    expect(value(section(ari, 'general'), 'enabled')).toBe('yes');
    expect(ari.includes).toContainEqual(expect.objectContaining({ directive: 'include', file: 'parley/ari_users.conf' }));
  });

  it('defines the transports the dialer names in pushed endpoints', () => {
    const pjsip = conf('pjsip.conf');
    for (const o of pushedObjects()) {
      const transport = o.fields.transport;
      if (!transport) continue;
      if (o.trunkTransport === 'tls') {
        // TLS needs certificates, so its transport comes from an optional mounted file.
        expect(transport).toBe('transport-tls');
        expect(pjsip.includes).toContainEqual(expect.objectContaining({ directive: 'tryinclude', file: 'pjsip_tls.conf' }));
        continue;
      }
      const t = section(pjsip, transport);
      expect(value(t, 'type')).toBe('transport');
      expect(value(t, 'protocol')).toBe(o.trunkTransport);
      expect(value(t, 'bind')).toBe('0.0.0.0:5060');
    }
  });

  it('stores every object type the dialer pushes with a sorcery wizard that can create it', () => {
    const sorcery = conf('sorcery.conf');
    const types = new Set(pushedObjects().map((o) => o.type));
    expect([...types].sort()).toEqual(['aor', 'auth', 'endpoint', 'identify', 'registration']);
    for (const type of types) {
      const mapping = values(section(sorcery, SORCERY_SECTION[type]!), type);
      const wizards = mapping.map((m) => m.split(',')[0]!.trim());
      expect(wizards.some((w) => WRITABLE_WIZARDS.includes(w)), `${type}: ${mapping.join(' | ')}`).toBe(true);
      // Hand-written objects in pjsip.conf keep working next to pushed ones.
      expect(mapping, type).toContain(`config,pjsip.conf,criteria=type=${type}`);
    }
  });

  it('routes calls from pushed trunks into the Stasis app as the inbound router expects', () => {
    const context = DialerConfigSchema.shape.ASTERISK_INBOUND_CONTEXT.parse(undefined);
    expect(env.ASTERISK_INBOUND_CONTEXT).toBe(context);
    for (const o of pushedObjects().filter((x) => x.type === 'endpoint')) expect(o.fields.context).toBe(context);
    expect(read('apps/dialer/src/inbound/inbound-router.ts')).toContain("event.args[0] === 'inbound'");

    const app = env.ARI_APP!;
    expect(app).toBe(DialerConfigSchema.shape.ARI_APP.parse(undefined));
    const ctx = section(conf('extensions.conf'), context);
    const byExten = new Map<string, string[]>();
    let last = '';
    for (const o of ctx.options) {
      if (o.key === 'exten') {
        const [pattern, priority, ...rest] = o.value.split(',');
        expect(priority, o.value).toBe('1');
        last = pattern!;
        byExten.set(last, [rest.join(',')]);
      } else {
        expect(o.key, `only exten/same lines in [${context}]`).toBe('same');
        byExten.get(last)!.push(o.value.replace(/^n,/, ''));
      }
    }
    expect([...byExten.keys()]).toEqual(expect.arrayContaining(['_X.', '_+X.', 's']));
    for (const [pattern, steps] of byExten) {
      expect(steps[0], pattern).toMatch(new RegExp(`^Stasis\\(${app},inbound(,\\$\\{EXTEN\\})?\\)$`));
      expect(steps.at(-1), pattern).toBe('Hangup()');
    }
  });

  it('gives RTP an even-started port range', () => {
    const rtp = section(conf('rtp.conf'), 'general');
    const start = Number(value(rtp, 'rtpstart'));
    const end = Number(value(rtp, 'rtpend'));
    expect(start % 2).toBe(0);
    expect(end).toBeGreaterThan(start + 100);
  });

  it('allows every codec a trunk may ask for', () => {
    const codecModule: Record<string, string> = { g722: 'codec_g722', ulaw: 'codec_ulaw', alaw: 'codec_alaw' };
    for (const o of pushedObjects().filter((x) => x.type === 'endpoint')) {
      for (const codec of o.fields.allow!.split(',')) expect(REQUIRED_MODULES, codec).toContain(codecModule[codec]);
    }
  });

  it('loads every module Parley needs, and builds it', () => {
    const modules = section(conf('modules.conf'), 'modules');
    expect(value(modules, 'autoload')).toBe('yes');
    const noload = values(modules, 'noload');
    for (const n of noload) expect(n).toMatch(/^[a-z0-9_]+\.so$/);
    for (const m of REQUIRED_MODULES) expect(noload, m).not.toContain(`${m}.so`);

    const build = readDockerfile(path(DIR, 'Dockerfile'))[0]!;
    const runs = build.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    const enabled = [...runs.matchAll(/--enable (\S+)/g)].map((m) => m[1]);
    const verified = /for m in ([^;]+);/.exec(runs)![1]!.trim().split(/\s+/);
    for (const m of REQUIRED_MODULES) {
      expect(enabled, `menuselect --enable ${m}`).toContain(m);
      expect(verified, `the build checks ${m}.so was built`).toContain(m);
    }
  });

  it('keeps the astdb where the image declares its volume', () => {
    const astdbdir = value(section(conf('asterisk.conf'), 'directories'), 'astdbdir');
    const runtime = readDockerfile(path(DIR, 'Dockerfile')).at(-1)!;
    expect(runtime.instructions.find((i) => i.keyword === 'VOLUME')?.args).toBe(JSON.stringify([astdbdir]));
  });

  it('logs to the console only', () => {
    const logfiles = section(conf('logger.conf'), 'logfiles');
    expect(logfiles.options.map((o) => o.key)).toEqual(['console']);
    expect(sectionsNamed(conf('cdr.conf'), 'general').flatMap((s) => values(s, 'enable'))).toEqual(['no']);
  });
});
