/** API tokens, agent tokens and sessions (by hash), and SigV4 access keys. */
import type { Kysely } from 'kysely';
import type { AccessKey, Credential, CredentialKind, CredentialsRepo } from '../core/store.js';
import type { Database } from './schema.js';
import { conflictAs } from './store-errors.js';

export class KyselyCredentialsRepo implements CredentialsRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** STORE_CONFLICT when the id or the hash is taken. */
  async insert(credential: Credential): Promise<void> {
    const insert = this.#db
      .insertInto('credentials')
      .values({ id: credential.id, kind: credential.kind, hash: credential.hash, name: credential.name, agent_id: credential.agentId ?? null, created_at: credential.createdAt })
      .execute();
    await conflictAs(insert, `credential ${credential.id}`);
  }

  async findByHash(hash: string): Promise<Credential | undefined> {
    const row = await this.#db.selectFrom('credentials').selectAll().where('hash', '=', hash).executeTakeFirst();
    if (row === undefined) return undefined;
    return { id: row.id, kind: row.kind as CredentialKind, hash: row.hash, name: row.name, agentId: row.agent_id ?? undefined, createdAt: row.created_at };
  }

  async insertAccessKey(key: AccessKey): Promise<void> {
    const insert = this.#db.insertInto('access_keys').values({ access_key_id: key.accessKeyId, encrypted_secret: key.encryptedSecret, created_at: key.createdAt }).execute();
    await conflictAs(insert, `access key ${key.accessKeyId}`);
  }

  async getAccessKey(accessKeyId: string): Promise<AccessKey | undefined> {
    const row = await this.#db.selectFrom('access_keys').selectAll().where('access_key_id', '=', accessKeyId).executeTakeFirst();
    return row === undefined ? undefined : { accessKeyId: row.access_key_id, encryptedSecret: row.encrypted_secret, createdAt: row.created_at };
  }

  async count(kind: CredentialKind): Promise<number> {
    const row = await this.#db.selectFrom('credentials').select((eb) => eb.fn.countAll<number>().as('count')).where('kind', '=', kind).executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
