import type { Endpoint } from '@parley/ari-client';
import type { DynamicConfig } from './dynamic-config';
import type { EventBus } from './event-bus';
import type { EventOrdering } from './ordering';

type EndpointState = NonNullable<Endpoint['state']>;
/** A contact's qualify status; `NonQualified` is Asterisk's label for one not qualified yet (its CREATED status). */
type ContactStatus = 'NonQualified' | 'Reachable' | 'Unreachable';

interface Contact {
  aor: string;
  uri: string;
  host: string;
  /** Seconds between OPTIONS; 0: never qualified, and counted as available (Asterisk does the same). */
  frequency: number;
  status: ContactStatus;
  rttUsec: number;
  periodic?: NodeJS.Timeout;
  /** The OPTIONS in flight: its answer or timeout. */
  pending?: NodeJS.Timeout;
}

/** What a far peer does with OPTIONS: answers after `rttMs`, or not at all. */
export interface PeerBehaviour {
  reachable: boolean;
  rttMs?: number;
}

/**
 * PJSIP endpoint states and AOR contact qualification, as res_pjsip's options code does them (pjsip_options.c):
 * a pushed endpoint starts `unknown` and becomes `offline` until one of its AORs is available; an AOR with a
 * qualify_frequency is qualified at once (once an endpoint uses it) and then every qualify_frequency seconds; any
 * answer makes the contact Reachable with its round trip, a timeout (qualify_timeout, 3 s) or a transport error
 * (here: a host under `.invalid`, which never resolves) Unreachable. Events go out only when a status changes:
 * ContactStatusChange, and when the endpoint flips online/offline PeerStatusChange and EndpointStateChange, which
 * Asterisk publishes from different threads, so the adversarial ordering draws which comes first. Only apps that
 * subscribed to everything see them. The simulator does not track endpoints' channels (`channel_ids` is empty).
 */
export class EndpointStates {
  private readonly contacts = new Map<string, Contact>();
  private readonly states = new Map<string, EndpointState>();
  private readonly peers = new Map<string, PeerBehaviour>();

  constructor(
    private readonly config: DynamicConfig,
    private readonly bus: EventBus,
    private readonly ordering: EventOrdering,
    private readonly qualifyTimeoutMs: number,
  ) {}

  /** A dynamic endpoint's state; endpoints not pushed at runtime (`sandbox`, static ones) are always online. */
  stateOf(name: string): EndpointState {
    return this.config.hasEndpoint(name) ? (this.states.get(name) ?? 'unknown') : 'online';
  }

  /** After a dynamic config PUT or DELETE. */
  changed(objectType: string, id: string, deleted: boolean): void {
    if (objectType === 'aor') this.aorChanged(id, deleted);
    if (objectType === 'endpoint') this.endpointChanged(id, deleted);
  }

  /**
   * How the far peer at `host` answers OPTIONS from now on (null: the default, reachable unless under `.invalid`).
   * Its contacts are qualified again at once: real Asterisk would notice at its next qualify, up to
   * qualify_frequency later; tests need not wait a minute for it.
   */
  setPeer(host: string, behaviour: PeerBehaviour | null): void {
    if (behaviour) this.peers.set(host.toLowerCase(), behaviour);
    else this.peers.delete(host.toLowerCase());
    for (const contact of this.contacts.values()) if (contact.host === host.toLowerCase() && contact.frequency > 0) this.qualify(contact);
  }

  close(): void {
    for (const contact of this.contacts.values()) this.stop(contact);
    this.contacts.clear();
  }

  private aorChanged(aor: string, deleted: boolean): void {
    const existing = this.contacts.get(aor);
    const uri = deleted ? undefined : this.config.attribute('aor', aor, 'contact')?.split(',')[0]?.trim();
    const frequency = Number(this.config.attribute('aor', aor, 'qualify_frequency') ?? '0') || 0;
    if (existing && (!uri || existing.uri !== uri || existing.frequency !== frequency)) {
      this.stop(existing);
      this.contacts.delete(aor);
    }
    if (uri && !this.contacts.has(aor)) {
      const contact: Contact = { aor, uri, host: hostOf(uri), frequency, status: 'NonQualified', rttUsec: 0 };
      this.contacts.set(aor, contact);
      this.schedule(contact);
    }
    for (const endpoint of this.endpointsUsing(aor)) this.recompute(endpoint);
  }

  private endpointChanged(endpoint: string, deleted: boolean): void {
    if (deleted) {
      this.states.delete(endpoint);
      return;
    }
    if (!this.states.has(endpoint)) this.states.set(endpoint, 'unknown');
    for (const aor of this.aorsOf(endpoint)) {
      const contact = this.contacts.get(aor);
      if (contact) this.schedule(contact);
    }
    this.recompute(endpoint);
  }

  /** Qualifies now and every `frequency` seconds, once an endpoint uses the AOR (Asterisk needs one to send OPTIONS). */
  private schedule(contact: Contact): void {
    if (contact.frequency === 0 || contact.periodic || this.endpointsUsing(contact.aor).length === 0) return;
    contact.periodic = setInterval(() => this.qualify(contact), contact.frequency * 1000);
    contact.periodic.unref();
    this.qualify(contact);
  }

  private qualify(contact: Contact): void {
    clearTimeout(contact.pending);
    const peer = this.peers.get(contact.host);
    const resolves = !contact.host.endsWith('.invalid');
    const answers = peer ? peer.reachable && resolves : resolves;
    const rttMs = peer?.rttMs ?? this.ordering.qualifyRoundTripMs();
    // A name that does not resolve fails at once (a transport error); a silent peer after qualify_timeout.
    const after = answers ? rttMs : resolves ? this.qualifyTimeoutMs : 0;
    contact.pending = setTimeout(() => {
      contact.pending = undefined;
      if (this.contacts.get(contact.aor) !== contact) return;
      this.result(contact, answers ? 'Reachable' : 'Unreachable', answers ? Math.round(rttMs * 1000) : 0);
    }, after);
    contact.pending.unref();
  }

  private result(contact: Contact, status: ContactStatus, rttUsec: number): void {
    contact.rttUsec = rttUsec;
    if (contact.status === status) return;
    contact.status = status;
    const endpoints = this.endpointsUsing(contact.aor);
    const publishContact = () => {
      for (const endpoint of endpoints) {
        this.bus.publish({
          type: 'ContactStatusChange',
          endpoint: this.snapshot(endpoint),
          contact_info: { uri: contact.uri, contact_status: status, aor: contact.aor, roundtrip_usec: String(rttUsec) },
        });
      }
    };
    if (this.ordering.contactEventFirst()) {
      publishContact();
      for (const endpoint of endpoints) this.recompute(endpoint);
    } else {
      for (const endpoint of endpoints) this.recompute(endpoint);
      publishContact();
    }
  }

  /** Online while one of the endpoint's AORs is available, offline otherwise; events on a change only. */
  private recompute(endpoint: string): void {
    if (!this.config.hasEndpoint(endpoint)) return;
    const online = this.aorsOf(endpoint).some((aor) => {
      const contact = this.contacts.get(aor);
      return contact !== undefined && (contact.frequency === 0 || contact.status === 'Reachable');
    });
    const next: EndpointState = online ? 'online' : 'offline';
    if (this.states.get(endpoint) === next) return;
    this.states.set(endpoint, next);
    this.bus.publish({ type: 'PeerStatusChange', endpoint: this.snapshot(endpoint), peer: { peer_status: online ? 'Reachable' : 'Unreachable' } });
    this.bus.publish({ type: 'EndpointStateChange', endpoint: this.snapshot(endpoint) });
  }

  private snapshot(endpoint: string): Endpoint {
    return { technology: 'PJSIP', resource: endpoint, state: this.stateOf(endpoint), channel_ids: [] };
  }

  private aorsOf(endpoint: string): string[] {
    return (this.config.endpointAttribute(endpoint, 'aors') ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  }

  private endpointsUsing(aor: string): string[] {
    return this.config.endpointIds().filter((endpoint) => this.aorsOf(endpoint).includes(aor));
  }

  private stop(contact: Contact): void {
    clearInterval(contact.periodic);
    clearTimeout(contact.pending);
    contact.periodic = contact.pending = undefined;
  }
}

/** `sip:host:5060;transport=tcp`, `sip:user@host` -> `host` (lower-cased). */
export function hostOf(uri: string): string {
  const rest = uri.replace(/^sips?:/i, '').replace(/^[^@]*@/, '');
  const host = rest.startsWith('[') ? rest.slice(0, rest.indexOf(']') + 1) : rest.split(/[:;]/)[0]!;
  return host.toLowerCase();
}
