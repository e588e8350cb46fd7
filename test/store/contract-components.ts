/** Store contract: the interval runner's components — one holder of a component's lock at a time, across stores of one database. */
import assert from 'node:assert/strict';
import { T0 } from './fixtures.js';
import type { ContractContext } from './store-contract.js';

/** A promise and the function that settles it. */
function gate(): { readonly opened: Promise<void>; readonly open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

export function componentsContract({ fresh, another, check }: ContractContext): void {
  check('while one server runs a component, another server on the same database does not, and then it can', async () => {
    const first = await fresh();
    const second = await another(first);
    const entered = gate();
    const release = gate();
    const holding = first.components.runExclusive('scheduler', async () => {
      entered.open();
      await release.opened;
      return 'first';
    });
    await entered.opened;
    assert.deepEqual(await second.components.runExclusive('scheduler', () => Promise.resolve('second')), { ran: false });
    assert.deepEqual(await first.components.runExclusive('scheduler', () => Promise.resolve('again')), { ran: false }, 'not even the holder twice');
    assert.deepEqual(await second.components.runExclusive('mirror-poller', () => Promise.resolve('other')), { ran: true, value: 'other' }, 'another component is free');
    release.open();
    assert.deepEqual(await holding, { ran: true, value: 'first' });
    assert.deepEqual(await second.components.runExclusive('scheduler', () => Promise.resolve('second')), { ran: true, value: 'second' });
  });

  check('a component that fails releases its lock and its error reaches the caller', async () => {
    const store = await fresh();
    await assert.rejects(store.components.runExclusive('scheduler', () => Promise.reject(new Error('sweep broke'))), /sweep broke/);
    assert.deepEqual(await store.components.runExclusive('scheduler', () => Promise.resolve(1)), { ran: true, value: 1 });
  });

  check('last runs and the paused flag are recorded and seen by every server', async () => {
    const first = await fresh();
    assert.deepEqual(await first.components.list(), []);
    await first.components.recordRun('scheduler', T0, 'host-a:1');
    await first.components.setPaused('mirror-poller', true);
    const second = await another(first);
    await second.components.recordRun('scheduler', T0 + 5, 'host-b:2');
    assert.deepEqual(await first.components.list(), [
      { name: 'mirror-poller', lastRanAt: undefined, lastRanBy: undefined, paused: true },
      { name: 'scheduler', lastRanAt: T0 + 5, lastRanBy: 'host-b:2', paused: false },
    ]);
    await second.components.setPaused('mirror-poller', false);
    await second.components.recordRun('mirror-poller', T0 + 7, 'host-b:2');
    assert.deepEqual(await first.components.get('mirror-poller'), { name: 'mirror-poller', lastRanAt: T0 + 7, lastRanBy: 'host-b:2', paused: false });
    assert.equal(await first.components.get('nothing'), undefined);
  });
}
