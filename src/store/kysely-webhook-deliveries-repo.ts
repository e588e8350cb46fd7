/** Webhook deliveries seen per repository, for replay detection (migration 0006). */
import type { Kysely } from 'kysely';
import type { WebhookDeliveriesRepo } from '../core/store.js';
import type { Database } from './schema.js';

/** The table of migration 0006, kept beside the only code that queries it. */
export type WebhookDeliveriesTables = {
  webhook_deliveries: {
    repository_name: string;
    delivery_id: string;
    received_at: number;
  };
};

export class KyselyWebhookDeliveriesRepo implements WebhookDeliveriesRepo {
  readonly #db: Kysely<WebhookDeliveriesTables>;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<WebhookDeliveriesTables>();
  }

  /**
   * Forgets deliveries received before `forgetBefore`, then records this one; false when it was
   * already recorded. One insert decides, so two servers receiving the same delivery at once
   * cannot both see it as new.
   */
  async recordFirst(repositoryName: string, deliveryId: string, receivedAt: number, forgetBefore: number): Promise<boolean> {
    await this.#db.deleteFrom('webhook_deliveries').where('received_at', '<', forgetBefore).execute();
    const result = await this.#db
      .insertInto('webhook_deliveries')
      .values({ repository_name: repositoryName, delivery_id: deliveryId, received_at: receivedAt })
      .onConflict((oc) => oc.columns(['repository_name', 'delivery_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }
}
