import type { Endpoint } from '@parley/ari-client';
import type { Channels } from './channels';
import type { DynamicConfig } from './dynamic-config';
import type { EventBus } from './event-bus';
import type { EventOrdering } from './ordering';

type EndpointState = NonNullable<Endpoint['state']>;
/** Asterisk's labels (pjsip_options.c); `NonQualified` is a contact not qualified yet, or whose AOR has no qualify. */
type ContactStatus = 'NonQualified' | 'Reachable' | 'Unreachable' | 'Removed';

interface Contact {
  uri: string;
  host: string;
  status: ContactStatus;
  rttUsec: number;
  /** The OPTIONS in flight: its answer or its timeout. */
  pending?: NodeJS.Timeout;
}

interface Aor {
  id: string;
  /** Seconds between qualifies; 0: never qualified, and its contacts count as available. */
  frequency: number;
  /** By URI. */
  contacts: Map<string, Contact>;
  periodic?: NodeJS.Timeout;
}

/** What a contact status change tells the apps. */
interface ContactNote {
  uri: string;
  status: ContactStatus;
  rttUsec: number;
}

/** What a far peer does with OPTIONS: answers after `rttMs`, or not at all. */
export interface PeerBehaviour {
  reachable: boolean;
  rttMs?: number;
}

/**
 * PJSIP endpoint states and AOR contact qualification, as res_pjsip does them (pjsip_configuration.c, pjsip_options.c):
 * - a pushed endpoint is created `offline` (persistent_endpoint_find_or_create; GET never shows `unknown`) and goes
 *   `online` while one of its AORs is available: a contact Reachable, or any contact when qualify_frequency is 0;
 * - a contact is `NonQualified` until its first OPTIONS; any answer makes it Reachable with its round trip, a timeout
 *   (qualify_timeout) or a transport error (here: a host under `.invalid`, which never resolves) Unreachable, "0";
 * - events only on a change: PeerStatusChange when the endpoint flips (ast_sip_persistent_endpoint_update_state), then
 *   ContactStatusChange (Removed for a contact dropped from its AOR, NonQualified for one added), which Asterisk
 *   publishes from its management serializer only after the endpoint's update went out, so a Stasis app gets them in
 *   that order;
 * - EndpointStateChange is never sent: Asterisk sends it only to apps subscribed to that endpoint by name, which an app
 *   subscribed to everything cannot be (res/stasis/app.c routes only PeerStatusChange and ContactStatusChange to it),
 *   and the simulator does not model per-resource subscriptions.
 * Shortcut: Asterisk qualifies a newly configured AOR's contacts at a random moment within qualify_frequency
 * (sip_options_determine_initial_qualify_time), and a changed contact at the next periodic qualify; here both happen
 * at once, as soon as an endpoint uses the AOR (Asterisk sends no OPTIONS for an AOR no endpoint uses).
 */
export class EndpointStates {
  private readonly aors = new Map<string, Aor>();
  /** Pushed endpoints' states (Asterisk's persistent endpoints). */
  private readonly states = new Map<string, EndpointState>();
  private readonly peers = new Map<string, PeerBehaviour>();

  constructor(
    private readonly config: DynamicConfig,
    private readonly channels: Channels,
    private readonly bus: EventBus,
    private readonly ordering: EventOrdering,
    private readonly qualifyTimeoutMs: number,
  ) {}

  /** Endpoints not pushed at runtime (`sandbox`, static ones) have no AOR to qualify here: always online. */
  stateOf(name: string): EndpointState {
    return this.config.hasEndpoint(name) ? (this.states.get(name) ?? 'offline') : 'online';
  }

  /** ARI's Endpoint, with the ids of the channels on it. */
  snapshot(name: string): Endpoint {
    const device = `PJSIP/${name}`;
    const channelIds = this.channels
      .list()
      .filter((ch) => ch.device === device)
      .map((ch) => ch.id);
    return { technology: 'PJSIP', resource: name, state: this.stateOf(name), channel_ids: channelIds };
  }

  /**
   * Whether Asterisk finds a contact to send an INVITE to: the first contact of the endpoint's AORs that is not
   * Unreachable (AST_SIP_CONTACT_FILTER_REACHABLE; not yet qualified counts). Without one it dials the AOR's name,
   * which is no SIP URI, and the channel request fails.
   */
  dialable(name: string): boolean {
    if (!this.config.hasEndpoint(name)) return true;
    return this.aorsOf(name).some((id) => [...(this.aors.get(id)?.contacts.values() ?? [])].some((c) => c.status !== 'Unreachable'));
  }

  /** After a dynamic config PUT or DELETE. */
  changed(objectType: string, id: string, deleted: boolean): void {
    if (objectType === 'aor') {
      if (deleted) this.aorDeleted(id);
      else this.aorPut(id);
    } else if (objectType === 'endpoint') {
      if (deleted) this.endpointDeleted(id);
      else this.endpointPut(id);
    }
  }

  /**
   * How the far peer at `host` answers OPTIONS from now on (null: the default, reachable unless under `.invalid`).
   * Its contacts are qualified again at once: real Asterisk would notice at its next qualify, up to qualify_frequency
   * later; tests need not wait a minute for it.
   */
  setPeer(host: string, behaviour: PeerBehaviour | null): void {
    const key = host.toLowerCase();
    if (behaviour) this.peers.set(key, behaviour);
    else this.peers.delete(key);
    for (const aor of this.aors.values()) {
      if (aor.frequency === 0 || !this.inUse(aor)) continue;
      for (const contact of aor.contacts.values()) if (contact.host === key) this.qualify(aor, contact);
    }
  }

  close(): void {
    for (const aor of this.aors.values()) this.stop(aor);
    this.aors.clear();
  }

  private aorPut(id: string): void {
    const uris = contactUrisOf(this.config.attribute('aor', id, 'contact'));
    const frequency = Number(this.config.attribute('aor', id, 'qualify_frequency') ?? '0') || 0;
    let aor = this.aors.get(id);
    if (!aor) {
      aor = { id, frequency, contacts: new Map() };
      this.aors.set(id, aor);
    }
    const notes: ContactNote[] = [];
    for (const [uri, contact] of aor.contacts) {
      if (uris.includes(uri)) continue;
      clearTimeout(contact.pending);
      aor.contacts.delete(uri);
      notes.push({ uri, status: 'Removed', rttUsec: 0 });
    }
    for (const uri of uris) {
      if (aor.contacts.has(uri)) continue;
      aor.contacts.set(uri, { uri, host: hostOf(uri), status: 'NonQualified', rttUsec: 0 });
      notes.push({ uri, status: 'NonQualified', rttUsec: 0 });
    }
    if (frequency !== aor.frequency) {
      // Qualify switched off: every contact is NonQualified again. Switched on, they stay so until their first OPTIONS.
      if (frequency === 0) {
        for (const contact of aor.contacts.values()) {
          clearTimeout(contact.pending);
          contact.pending = undefined;
          if (contact.status === 'NonQualified') continue;
          contact.status = 'NonQualified';
          contact.rttUsec = 0;
          notes.push({ uri: contact.uri, status: 'NonQualified', rttUsec: 0 });
        }
      }
      clearInterval(aor.periodic);
      aor.periodic = undefined;
      aor.frequency = frequency;
    }
    this.publishChanges(aor, notes);
    this.schedule(aor);
  }

  /** Its contacts go without a word (Asterisk finds no AOR left to publish them to); its endpoints may go offline. */
  private aorDeleted(id: string): void {
    const aor = this.aors.get(id);
    if (!aor) return;
    this.stop(aor);
    this.aors.delete(id);
    for (const endpoint of this.endpointsUsing(id)) this.update(endpoint);
  }

  private endpointPut(name: string): void {
    if (!this.states.has(name)) this.states.set(name, 'offline');
    for (const id of this.aorsOf(name)) {
      const aor = this.aors.get(id);
      if (aor) this.schedule(aor);
    }
    this.update(name);
  }

  private endpointDeleted(name: string): void {
    this.states.delete(name);
    for (const aor of this.aors.values()) if (!this.inUse(aor)) this.stop(aor);
  }

  /** Qualifies every qualify_frequency seconds, and at once the contacts never qualified, while an endpoint uses the AOR. */
  private schedule(aor: Aor): void {
    if (aor.frequency === 0 || !this.inUse(aor)) return;
    if (!aor.periodic) {
      aor.periodic = setInterval(() => {
        if (!this.inUse(aor)) return;
        for (const contact of aor.contacts.values()) this.qualify(aor, contact);
      }, aor.frequency * 1000);
      aor.periodic.unref();
    }
    for (const contact of aor.contacts.values()) if (contact.status === 'NonQualified' && !contact.pending) this.qualify(aor, contact);
  }

  /** One OPTIONS to the contact. */
  private qualify(aor: Aor, contact: Contact): void {
    clearTimeout(contact.pending);
    const peer = this.peers.get(contact.host);
    const resolves = !contact.host.endsWith('.invalid');
    const answers = resolves && (peer?.reachable ?? true);
    const rttMs = answers ? (peer?.rttMs ?? this.ordering.qualifyRoundTripMs()) : 0;
    // A name that does not resolve fails at once (a transport error); a silent peer after qualify_timeout.
    const after = answers ? rttMs : resolves ? this.qualifyTimeoutMs : 0;
    contact.pending = setTimeout(() => {
      contact.pending = undefined;
      // A late answer: the contact left its AOR, or the AOR stopped qualifying (Asterisk drops those too).
      if (this.aors.get(aor.id) !== aor || aor.contacts.get(contact.uri) !== contact || aor.frequency === 0) return;
      this.result(aor, contact, answers ? 'Reachable' : 'Unreachable', Math.round(rttMs * 1000));
    }, after);
    contact.pending.unref();
  }

  private result(aor: Aor, contact: Contact, status: ContactStatus, rttUsec: number): void {
    contact.rttUsec = rttUsec;
    if (contact.status === status) return;
    contact.status = status;
    this.publishChanges(aor, [{ uri: contact.uri, status, rttUsec }]);
  }

  /** The endpoints' own change first, then the contacts' (see the class comment). */
  private publishChanges(aor: Aor, notes: ContactNote[]): void {
    const endpoints = this.endpointsUsing(aor.id);
    for (const endpoint of endpoints) this.update(endpoint);
    for (const note of notes) {
      for (const endpoint of endpoints) {
        this.bus.publish({
          type: 'ContactStatusChange',
          endpoint: this.snapshot(endpoint),
          contact_info: { uri: note.uri, contact_status: note.status, aor: aor.id, roundtrip_usec: String(note.rttUsec) },
        });
      }
    }
  }

  /** Online while one of the endpoint's AORs is available, offline otherwise; PeerStatusChange on a change only. */
  private update(endpoint: string): void {
    if (!this.config.hasEndpoint(endpoint)) return;
    const online = this.aorsOf(endpoint).some((id) => {
      const aor = this.aors.get(id);
      return aor !== undefined && [...aor.contacts.values()].some((c) => aor.frequency === 0 || c.status === 'Reachable');
    });
    const next: EndpointState = online ? 'online' : 'offline';
    if (this.states.get(endpoint) === next) return;
    this.states.set(endpoint, next);
    this.bus.publish({ type: 'PeerStatusChange', endpoint: this.snapshot(endpoint), peer: { peer_status: online ? 'Reachable' : 'Unreachable' } });
  }

  private aorsOf(endpoint: string): string[] {
    return (this.config.endpointAttribute(endpoint, 'aors') ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
  }

  private endpointsUsing(aor: string): string[] {
    return this.config.endpointIds().filter((endpoint) => this.aorsOf(endpoint).includes(aor));
  }

  private inUse(aor: Aor): boolean {
    return this.endpointsUsing(aor.id).length > 0;
  }

  private stop(aor: Aor): void {
    clearInterval(aor.periodic);
    aor.periodic = undefined;
    for (const contact of aor.contacts.values()) {
      clearTimeout(contact.pending);
      contact.pending = undefined;
    }
  }
}

/** An AOR's `contact`: one URI or a comma list, as res_pjsip reads it. */
function contactUrisOf(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((uri) => uri.trim())
    .filter(Boolean);
}

/** `sip:host:5060;transport=tcp`, `sip:user@host` -> `host` (lower-cased). */
export function hostOf(uri: string): string {
  const rest = uri.replace(/^sips?:/i, '').replace(/^[^@]*@/, '');
  const host = rest.startsWith('[') ? rest.slice(0, rest.indexOf(']') + 1) : rest.split(/[:;]/)[0]!;
  return host.toLowerCase();
}
