import pg from 'pg';

/**
 * Who streams a reply when several instances share one database. Every
 * instance looks for unfinished replies (to resume what a stopped or killed
 * instance left), so each reply is claimed first, and only the instance that
 * holds the claim runs its generator.
 */
export interface ReplyLease {
  /** `true` when this instance now holds `replyId`; `false` when another one does. */
  claim(replyId: string): Promise<boolean>;
  /** Gives `replyId` up (after its final write, or after storing its progress on a stop). */
  release(replyId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A {@link ReplyLease} on PostgreSQL session advisory locks, on one
 * connection per instance. Postgres drops a session's locks when its
 * connection ends, so the replies of an instance that crashes (SIGKILL,
 * power loss) are free again as soon as the server notices the closed
 * socket, with no timeout to tune and no heartbeat to write.
 *
 * If this connection itself breaks, the locks it held are gone while this
 * instance's generators go on: another instance may then resume one of
 * those replies too. The demo's generator is deterministic, so both write
 * the same text; a real model would need the claim checked before each write.
 */
export function createPostgresReplyLease(options: { url: string }): ReplyLease {
  let client: Promise<pg.Client> | undefined;
  const connect = (): Promise<pg.Client> => {
    if (client) return client;
    const next = new pg.Client({
      connectionString: options.url,
      application_name: 'seqline-demo-lease',
    });
    const connected = next.connect().then(() => next);
    client = connected;
    next.on('error', (error) => {
      console.error(`[chat] reply lease connection lost (${error.message}); reconnecting`);
      if (client === connected) client = undefined;
    });
    connected.catch(() => {
      if (client === connected) client = undefined;
    });
    return connected;
  };
  const key = "hashtextextended('seqline-demo-reply:' || $1, 0)";
  return {
    async claim(replyId) {
      const db = await connect();
      const { rows } = await db.query<{ claimed: boolean }>(
        `SELECT pg_try_advisory_lock(${key}) AS claimed`,
        [replyId],
      );
      return rows[0]?.claimed === true;
    },
    async release(replyId) {
      const db = await connect();
      await db.query(`SELECT pg_advisory_unlock(${key})`, [replyId]);
    },
    async close() {
      const open = client;
      client = undefined;
      await (await open?.catch(() => undefined))?.end();
    },
  };
}
