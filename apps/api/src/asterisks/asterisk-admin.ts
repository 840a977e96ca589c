import { type Asterisk, AsteriskName } from '@parley/common';
import { type AsteriskEntity, type AsteriskPatch, AsterisksRepository, type DataSource, type SecretBox } from '@parley/db';
import { newId } from '../http/ids';

/** What `pnpm parley asterisks ...` is given; what each verb needs is checked by the CLI. */
export interface AsteriskOptions {
  name?: string;
  url?: string;
  username?: string;
  password?: string;
  capacity?: number;
  site?: string;
  labels?: string[];
}

/** An Asterisk as the CLI prints it (the API's `Asterisk` without `object`): never its password. */
export type AsteriskView = Omit<Asterisk, 'object'>;

/** Why the registry refused a change: a bad option (`option` names it), a name taken, or no such Asterisk. */
export class AsteriskAdminError extends Error {
  constructor(
    readonly kind: 'invalid' | 'taken' | 'missing',
    readonly option: keyof AsteriskOptions | null,
    message: string,
  ) {
    super(message);
  }
}

/** The admin side of the Asterisk registry (`asterisks`): the dialers read it; the CLI and the admin API write it. */
export class AsteriskAdmin {
  private readonly asterisks: AsterisksRepository;

  constructor(
    ds: DataSource,
    private readonly secrets: SecretBox,
  ) {
    this.asterisks = new AsterisksRepository(ds);
  }

  async add(o: Required<Pick<AsteriskOptions, 'name' | 'url' | 'username' | 'password' | 'capacity'>> & AsteriskOptions): Promise<AsteriskView> {
    const name = nameOf(o.name);
    const created = await this.asterisks.create({
      id: newId.asterisk(),
      name,
      ariUrl: ariUrlOf(o.url),
      ariUsername: o.username,
      ariPasswordEncrypted: this.secrets.seal(o.password),
      site: o.site || null,
      labels: o.labels ?? [],
      capacity: o.capacity,
    });
    if (!created) throw new AsteriskAdminError('taken', 'name', `an Asterisk named '${name}' is already registered`);
    return viewOf(created);
  }

  async list(): Promise<AsteriskView[]> {
    return (await this.asterisks.list()).map(viewOf);
  }

  async update(name: string, o: AsteriskOptions): Promise<AsteriskView> {
    const patch: AsteriskPatch = {};
    if (o.url !== undefined) patch.ariUrl = ariUrlOf(o.url);
    if (o.username !== undefined) patch.ariUsername = o.username;
    if (o.password !== undefined) patch.ariPasswordEncrypted = this.secrets.seal(o.password);
    if (o.capacity !== undefined) patch.capacity = o.capacity;
    if (o.site !== undefined) patch.site = o.site || null;
    if (o.labels !== undefined) patch.labels = o.labels;
    if (Object.keys(patch).length === 0) throw new AsteriskAdminError('invalid', null, 'nothing to update: give a url, username, password, capacity, site or labels');
    if (!(await this.asterisks.update(name, patch))) throw new AsteriskAdminError('missing', 'name', `no Asterisk is registered as '${name}'`);
    return viewOf((await this.asterisks.byName(name))!);
  }

  async remove(name: string): Promise<{ name: string; removed: true }> {
    if (!(await this.asterisks.remove(name))) throw new AsteriskAdminError('missing', 'name', `no Asterisk is registered as '${name}'`);
    return { name, removed: true };
  }
}

function nameOf(name: string): string {
  const parsed = AsteriskName.safeParse(name);
  if (!parsed.success) throw new AsteriskAdminError('invalid', 'name', parsed.error.issues[0]?.message ?? 'invalid');
  if (name === 'sandbox') throw new AsteriskAdminError('invalid', 'name', "'sandbox' is the simulator's name");
  return name;
}

function ariUrlOf(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AsteriskAdminError('invalid', 'url', `not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new AsteriskAdminError('invalid', 'url', 'ARI is http:// or https:// (e.g. http://10.0.0.5:8088/ari)');
  return url.replace(/\/+$/, '');
}

function viewOf(a: AsteriskEntity): AsteriskView {
  return {
    name: a.name,
    id: a.id,
    ari_url: a.ariUrl,
    ari_username: a.ariUsername,
    has_password: a.ariPasswordEncrypted.length > 0,
    site: a.site,
    labels: a.labels,
    capacity: a.capacity,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}
