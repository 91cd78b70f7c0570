/**
 * createPostgresBus against the real PostgreSQL 15: the bus conformance
 * suite (two buses = two instances' pools), then what is Postgres's own:
 * NOTIFY carries a pointer and the event is read from the table, positions
 * dense and in commit order under concurrent publishers, trimming, pruning,
 * a LISTEN connection killed under it, and its identifiers.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageBus } from '../../src/server';
import { createPostgresBus, type PostgresBus } from '../../src/sql';
import { testMessageBus } from '../../src/testing';
import { collector, delta, reconnectRace, waitFor } from '../support/bus';
import { POSTGRES_URL, requireService } from '../support/services';
import { startTcpProxy } from '../support/tcp-proxy';

const postgres = await requireService('postgres');
const TABLE = 'seqline_test_bus_events';

describe.runIf(postgres)('createPostgresBus', () => {
  const pools: pg.Pool[] = [];
  const buses: MessageBus[] = [];
  const open = (options: { maxLength?: number; channel?: string } = {}): PostgresBus => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 8 });
    pools.push(pool);
    const bus = createPostgresBus({ pool, table: TABLE, onError: () => {}, ...options });
    buses.push(bus);
    return bus;
  };
  beforeAll(async () => {
    const admin = new pg.Pool({ connectionString: POSTGRES_URL });
    await admin.query(`DROP TABLE IF EXISTS ${TABLE}, ${TABLE}_heads`);
    await admin.end();
    await Promise.all([open().ensureSchema(), open().ensureSchema()]);
  });
  afterAll(async () => {
    for (const bus of buses) await bus.close();
    for (const pool of pools) await pool.end();
  });

  testMessageBus({ name: 'createPostgresBus', create: () => open(), futureCursor: '99999' });

  it('stores the event and NOTIFYs only a pointer, so a 100 kB event goes through', async () => {
    const a = open();
    const b = open();
    const id = randomUUID();
    const seen = collector();
    b.subscribe(id, undefined, seen.sink);
    const big = 'x'.repeat(100_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await a.publish(id, delta(0, big));
    await waitFor(() => seen.entries.length === 1, 'the big event');
    expect(seen.entries[0]!.event).toMatchObject({ text: big });
  });

  // Small events ride in the NOTIFY, large ones are read from their row: a small event must never
  // overtake a large one published before it (the fan-out used to deliver an inline event while the
  // read of an earlier pointer was still running, and that read's entry was then skipped as old).
  it('large (read) and small (inline) events interleaved: every subscriber gets all, in order', async () => {
    const a = open();
    const b = open();
    const id = randomUUID();
    const seen = collector();
    b.subscribe(id, undefined, seen.sink);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const texts = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0 ? `${i}${'x'.repeat(9000)}` : `${i}`,
    );
    const publishing = [a.publish(id, delta(0, texts[0]!))];
    for (let i = 1; i < texts.length; i++) publishing.push(a.publish(id, delta(i, texts[i]!)));
    await Promise.all(publishing);
    await waitFor(() => seen.entries.length >= texts.length, 'every event');
    expect(seen.entries.map((e) => e.cursor)).toEqual(texts.map((_, i) => String(i + 1)));
    expect([...seen.texts()].sort()).toEqual([...texts].sort());
  });

  it('concurrent publishers on one conversation: positions are exactly 1..n, in order, for every subscriber', async () => {
    const a = open();
    const b = open();
    const id = randomUUID();
    const seen = [collector(), collector(), collector()];
    for (const [i, s] of seen.entries()) (i === 0 ? a : b).subscribe(id, undefined, s.sink);
    const late = collector();
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 50; i++) await (w % 2 ? a : b).publish(id, delta(w * 50 + i, 'x'));
        if (w === 0) b.subscribe(id, '0', late.sink);
      }),
    );
    for (const s of [...seen, late]) {
      await waitFor(() => s.entries.length === 200, 'all 200');
      expect(s.entries.map((e) => Number(e.cursor))).toEqual(
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
    }
  });

  it('trims each conversation to about maxLength rows and prunes old rows', async () => {
    const a = open({ maxLength: 50 });
    const id = randomUUID();
    for (let i = 0; i < 300; i++) await a.publish(id, delta(i, 'x'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const pool = pools.at(-1)!;
    const count = async () =>
      Number(
        (await pool.query(`SELECT count(*) AS n FROM ${TABLE} WHERE conversation_id = $1`, [id]))
          .rows[0].n,
      );
    expect(await count()).toBeLessThanOrEqual(50 + 100);
    expect(await count()).toBeGreaterThanOrEqual(50);
    await pool.query(
      `UPDATE ${TABLE} SET created_at = now() - interval '2 days' WHERE conversation_id = $1`,
      [id],
    );
    expect(await a.prune(86_400)).toBeGreaterThanOrEqual(50);
    expect(await count()).toBe(0);
    // Positions go on after pruning; a subscriber from the start gets what is new.
    expect(Number(await a.publish(id, delta(300, 'y')))).toBe(301);
  });

  it('reconnects when its LISTEN connection is killed, tells subscribers to resync, and goes on', async () => {
    const a = open();
    const b = open();
    const id = randomUUID();
    const seen = collector();
    b.subscribe(id, undefined, seen.sink);
    await a.publish(id, delta(0, 'a'));
    await waitFor(() => seen.entries.length === 1, 'the first entry');
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN seqline_bus' AND pid <> pg_backend_pid()`,
    );
    await admin.end();
    await a.publish(id, delta(1, 'b'));
    await waitFor(() => seen.resyncs() >= 1, 'a resync');
    await waitFor(() => seen.entries.length === 2, 'the entry published while it reconnected');
    await a.publish(id, delta(2, 'c'));
    await waitFor(() => seen.entries.length === 3, 'live again');
    expect(seen.texts()).toEqual(['a', 'b', 'c']);
  });

  // Regression (found on the Redis bus, the same shared rule): a notification parsed together with
  // the new LISTEN's reply carried its event and was delivered before lost() started the re-read,
  // which then skipped what was published during the break as already seen. The proxy holds the
  // LISTEN, then its reply, so the two arrive in one read on purpose.
  it('after a reconnect, a notification that arrives with the LISTEN reply does not overtake what was missed', async () => {
    const target = new URL(POSTGRES_URL);
    const proxy = await startTcpProxy(Number(target.port || 5432), target.hostname);
    const name = `seqline-proxy-${randomUUID().slice(0, 8)}`;
    const viaProxy = new URL(POSTGRES_URL);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const pool = new pg.Pool({
      connectionString: viaProxy.toString(),
      application_name: name,
      max: 4,
    });
    pool.on('error', () => {}); // idle clients die with the dropped connections
    pools.push(pool);
    // A channel of its own: the kill test's pg_terminate_backend of 'LISTEN seqline_bus' is not for it.
    const channel = 'seqline_bus_proxy_test';
    const b = createPostgresBus({ pool, table: TABLE, channel, onError: () => {} });
    buses.push(b);
    const a = open({ channel });
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    const listening = () =>
      waitFor(async () => {
        const { rows } = await admin.query(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %' AND state = 'idle'`,
          [name],
        );
        return rows.length > 0;
      }, 'the LISTEN');
    try {
      const id = randomUUID();
      const seen = collector();
      b.subscribe(id, undefined, seen.sink);
      await listening();
      await a.publish(id, delta(0, 'a'));
      await waitFor(() => seen.entries.length === 1, 'the first entry');

      await reconnectRace({
        proxy,
        watch: /LISTEN/,
        watching: listening,
        publish: (event) => a.publish(id, event),
        seen,
      });
      expect(seen.texts()).toEqual(['a', 'b', 'c']);
      expect(seen.resyncs()).toBe(1);
    } finally {
      await admin.end();
      await proxy.close();
    }
  });

  // Regression: close() returned its LISTEN client to the pool with the bus's listeners still
  // attached, so every later bus on that pool added more (MaxListenersExceededWarning).
  it('close() leaves no listeners behind on the pool it borrowed from', async () => {
    // Two connections: the bus's LISTEN and its queries. Both are checked afterwards.
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    try {
      for (let i = 0; i < 12; i++) {
        const bus = createPostgresBus({ pool, table: TABLE, onError: () => {} });
        const id = randomUUID();
        bus.subscribe(id, undefined, { event() {} });
        await bus.publish(id, delta(0, 'x'));
        await bus.close();
      }
      const clients = [await pool.connect(), await pool.connect()];
      try {
        for (const client of clients) {
          expect(client.listenerCount('notification')).toBe(0);
          expect(client.listenerCount('end')).toBe(0);
        }
      } finally {
        for (const client of clients) client.release();
      }
    } finally {
      await pool.end();
    }
  });

  it('rejects bad identifiers before any SQL runs', () => {
    const pool = pools[0]!;
    expect(() => createPostgresBus({ pool, table: 'x; DROP TABLE y' })).toThrow(
      /\[seqline\] \[bus\] \[postgres\] invalid table/,
    );
    expect(() => createPostgresBus({ pool, channel: 'Bad-Channel' })).toThrow(/channel/);
  });
});
