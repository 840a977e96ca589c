import { parseArgs } from 'node:util';
import { type AccountEntity, openDatabase, SecretBox, StoredSecretsRepository } from '@parley/db';
import { AsteriskAdmin, AsteriskAdminError, type AsteriskOptions } from '../asterisks/asterisk-admin';
import { accountDefaults, Accounts } from '../accounts/accounts';
import { ApiKeys } from '../accounts/api-keys';
import { setCredits } from '../billing/credits';
import { loadApiConfig } from '../config';

const USAGE = `parley: the admin CLI (prints JSON on stdout)

  pnpm parley accounts create --name NAME
  pnpm parley accounts list
  pnpm parley accounts set-rate --account ID --rate MILLI_CENTS_PER_MINUTE [--increment SECONDS] [--minimum SECONDS]
  pnpm parley accounts set-web-rate --account ID --rate MILLI_CENTS_PER_MINUTE|phone   (web calls; phone: the phone rate)
  pnpm parley keys create --account ID [--name NAME]
  pnpm parley keys list --account ID
  pnpm parley keys revoke KEY_ID
  pnpm parley credits set --account ID --amount MILLI_CENTS
  pnpm parley credits add --account ID --amount MILLI_CENTS
  pnpm parley asterisks add --name NAME --url ARI_URL --username USER --password PASSWORD --capacity MAX_CALLS [--site SITE] [--label LABEL ...]
  pnpm parley asterisks list
  pnpm parley asterisks update NAME [--url ARI_URL] [--username USER] [--password PASSWORD] [--capacity MAX_CALLS] [--site SITE|''] [--label LABEL ...]
  pnpm parley asterisks remove NAME
  pnpm parley secrets reseal
  pnpm parley migrate

Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/parley).
secrets reseal: seals every stored secret (trunk and Asterisk passwords, webhook secrets, tool headers) under PARLEY_SECRET_KEY,
opening the old ones with PARLEY_SECRET_KEY_PREVIOUS; afterwards the previous key can be removed.
asterisks: the Asterisks the dialers connect to over ARI (within ASTERISK_REGISTRY_RELOAD_MS, no restart); the ARI
password is stored encrypted with PARLEY_SECRET_KEY (the dialers' must be the same) and never printed. A trunk's
\`asterisks\` names those that may carry it (none: every one). A removed Asterisk takes no new calls and is closed once
its calls ended. A dialer's ARI_URL is an Asterisk named \`default\` unless one is registered under that name.`;

class UsageError extends Error {}

function need(v: string | undefined, flag: string): string {
  if (!v) throw new UsageError(`missing --${flag}`);
  return v;
}

function int(v: string | undefined, flag: string, min = 0): number {
  const s = need(v, flag);
  if (!/^-?\d+$/.test(s) || Number(s) < min) throw new UsageError(`--${flag} must be an integer >= ${min}`);
  return Number(s);
}

async function account(accounts: Accounts, id: string): Promise<AccountEntity> {
  const a = await accounts.get(id);
  if (!a) throw new Error(`no such account: ${id}`);
  return a;
}

async function run(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      account: { type: 'string' },
      rate: { type: 'string' },
      increment: { type: 'string' },
      minimum: { type: 'string' },
      amount: { type: 'string' },
      url: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      capacity: { type: 'string' },
      site: { type: 'string' },
      label: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, verb, arg] = positionals;
  if (values.help || !group) throw new UsageError('');
  const config = loadApiConfig();
  const ds = await openDatabase({ url: config.DATABASE_URL, poolSize: 2, applicationName: 'parley-cli' });
  const secrets = new SecretBox(config.PARLEY_SECRET_KEY, config.PARLEY_SECRET_KEY_PREVIOUS);
  try {
    const accounts = new Accounts(ds, accountDefaults(config), secrets);
    const keys = new ApiKeys(ds);
    switch (`${group} ${verb ?? ''}`.trim()) {
      case 'migrate':
        return { migrated: true };
      case 'accounts create': {
        const r = await accounts.create(need(values.name, 'name'));
        return { account_id: r.account.id, name: r.account.name, api_key: r.apiKey.key, api_key_id: r.apiKey.id, sandbox_trunk_id: r.sandboxTrunkId, webhook_secret: r.webhookSecret };
      }
      case 'accounts list':
        return (await accounts.list()).map((a) => ({
          account_id: a.id,
          name: a.name,
          balance_milli_cents: a.balanceMilliCents,
          rate_milli_cents_per_minute: a.rateMilliCentsPerMinute,
          web_rate_milli_cents_per_minute: a.webRateMilliCentsPerMinute ?? a.rateMilliCentsPerMinute,
          billing_increment_seconds: a.billingIncrementSeconds,
          billing_minimum_seconds: a.billingMinimumSeconds,
          created_at: a.createdAt.toISOString(),
        }));
      case 'accounts set-rate': {
        const a = await account(accounts, need(values.account, 'account'));
        const patch = {
          rateMilliCentsPerMinute: int(values.rate, 'rate'),
          billingIncrementSeconds: values.increment === undefined ? a.billingIncrementSeconds : int(values.increment, 'increment', 1),
          billingMinimumSeconds: values.minimum === undefined ? a.billingMinimumSeconds : int(values.minimum, 'minimum'),
        };
        await accounts.setRate(a.id, patch);
        return { account_id: a.id, rate_milli_cents_per_minute: patch.rateMilliCentsPerMinute, billing_increment_seconds: patch.billingIncrementSeconds, billing_minimum_seconds: patch.billingMinimumSeconds };
      }
      case 'accounts set-web-rate': {
        const a = await account(accounts, need(values.account, 'account'));
        const given = need(values.rate, 'rate');
        const rate = given === 'phone' ? null : int(given, 'rate');
        await accounts.setWebRate(a.id, rate);
        return { account_id: a.id, web_rate_milli_cents_per_minute: rate ?? a.rateMilliCentsPerMinute, same_as_phone: rate === null };
      }
      case 'keys create': {
        const a = await account(accounts, need(values.account, 'account'));
        const k = await keys.create(a.id, values.name ?? null);
        return { api_key_id: k.id, api_key: k.key, prefix: k.prefix, account_id: a.id };
      }
      case 'keys list': {
        const a = await account(accounts, need(values.account, 'account'));
        return (await keys.list(a.id)).map((k) => ({ api_key_id: k.id, prefix: k.prefix, name: k.name, created_at: k.createdAt.toISOString(), revoked_at: k.revokedAt?.toISOString() ?? null }));
      }
      case 'keys revoke': {
        const id = need(arg, 'KEY_ID (positional)');
        if (!(await keys.revoke(id))) throw new Error(`no active key with id ${id}`);
        return { api_key_id: id, revoked: true };
      }
      case 'asterisks add':
      case 'asterisks list':
      case 'asterisks update':
      case 'asterisks remove': {
        const admin = new AsteriskAdmin(ds, secrets);
        const options: AsteriskOptions = {
          name: values.name,
          url: values.url,
          username: values.username,
          password: values.password,
          capacity: values.capacity === undefined ? undefined : int(values.capacity, 'capacity', 1),
          site: values.site,
          labels: values.label,
        };
        try {
          if (verb === 'list') return await admin.list();
          if (verb === 'add') return await admin.add({ ...options, name: need(values.name, 'name'), url: need(values.url, 'url'), username: need(values.username, 'username'), password: need(values.password, 'password'), capacity: int(values.capacity, 'capacity', 1) });
          const name = need(arg, 'NAME (positional)');
          return await (verb === 'update' ? admin.update(name, options) : admin.remove(name));
        } catch (err) {
          // The registry's refusal in the CLI's words: the flag it is about.
          if (err instanceof AsteriskAdminError && err.kind === 'invalid' && err.option) throw new Error(`--${err.option === 'labels' ? 'label' : err.option}: ${err.message}`);
          throw err;
        }
      }
      case 'secrets reseal':
        return { resealed: await new StoredSecretsRepository(ds).reseal(secrets) };
      case 'credits set':
      case 'credits add': {
        const a = await account(accounts, need(values.account, 'account'));
        const amount = int(values.amount, 'amount', verb === 'set' ? 0 : -Number.MAX_SAFE_INTEGER);
        const balance = await setCredits(ds, a.id, amount, verb as 'set' | 'add', `cli credits ${verb}`);
        return { account_id: a.id, balance_milli_cents: balance };
      }
      default:
        throw new UsageError(`unknown command: ${positionals.join(' ')}`);
    }
  } finally {
    await ds.destroy();
  }
}

run(process.argv.slice(2))
  .then((out) => {
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  })
  .catch((err) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message ? err.message + '\n\n' : ''}${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`parley: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
