/**
 * createReplyWriter with Postgres killed (SIGKILL of the postmaster) and
 * restarted in the middle of a reply, on a private server of its own (port
 * 17432), never the shared one. The stored reply must equal the generated
 * text exactly, once, complete, and every subscriber must converge to it.
 */

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyStreamEvent, createTimeline, type Message } from '../../src/index';
import {
  createConversationStream,
  createMemoryBus,
  createReplyWriter,
  type MessageBus,
} from '../../src/server';
import { pendingReply } from '../support/bus';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres';

const PORT = 17432;
const reply = pendingReply;

describe('createReplyWriter across a Postgres crash and restart', () => {
  let server: PrivatePostgres;
  let pool: pg.Pool;
  beforeAll(async () => {
    server = await startPrivatePostgres(PORT);
    pool = new pg.Pool({ connectionString: server.url, max: 2 });
    // A backend terminated under a pooled client is reported here; the writer's retry handles the query.
    pool.on('error', () => {});
    await pool.query(
      'CREATE TABLE replies (id text PRIMARY KEY, conversation_id text, sequence int, created_at text, role text, content text, status text, error text)',
    );
    await pool.query(
      `INSERT INTO replies VALUES ('m2', 'c1', 2, $1, 'assistant', '', 'pending', NULL)`,
      [reply.createdAt],
    );
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    await server?.close();
  });

  const load = async (_: string, after: number): Promise<Message[]> => {
    const { rows } = await pool.query('SELECT * FROM replies WHERE sequence > $1', [after]);
    return rows.map((row) => ({
      id: row.id,
      conversationId: row.conversation_id,
      sequence: row.sequence,
      createdAt: row.created_at,
      role: row.role,
      content: row.content,
      status: row.status,
      ...(row.error ? { error: row.error } : {}),
    }));
  };
  const follow = (bus: MessageBus) => {
    let timeline = createTimeline('c1');
    const stop = createConversationStream({
      bus,
      conversationId: 'c1',
      loadSnapshot: load,
      onError: () => {},
    }).subscribe(undefined, {
      event: (entry) => {
        timeline = applyStreamEvent(timeline, entry.event);
      },
      close: () => {},
    });
    return { stop, get: () => timeline.getById('m2') };
  };

  it('stores the generated text exactly once, complete; every subscriber converges', async () => {
    const bus = createMemoryBus();
    const early = follow(bus);
    const writer = createReplyWriter({
      bus,
      message: reply,
      persistEveryChars: 20,
      persistEveryMs: 50,
      persistRetries: 12,
      persistRetryDelayMs: 50,
      onError: () => {},
      persist: async (u) => {
        await pool.query('UPDATE replies SET content = $2, status = $3, error = $4 WHERE id = $1', [
          u.messageId,
          u.content,
          u.status,
          u.error ?? null,
        ]);
      },
    });
    const tokens = Array.from({ length: 400 }, (_, i) => `w${i} `);
    let crashed: Promise<void> | undefined;
    await writer.start();
    for (const [i, token] of tokens.entries()) {
      if (i === 120) {
        crashed = (async () => {
          await server.kill();
          await new Promise((resolve) => setTimeout(resolve, 500));
          await server.start();
        })();
      }
      // A model loop that retries a token the writer gave up on: offset makes the retry safe.
      const offset = writer.content.length;
      for (let attempt = 0; ; attempt++) {
        try {
          await writer.append(token, offset);
          break;
        } catch (error) {
          if (attempt > 5) throw error;
        }
      }
      if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await crashed;
    await writer.complete();
    const late = follow(bus);
    const text = tokens.join('');
    const until = Date.now() + 10_000;
    while (late.get()?.status !== 'complete' && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { rows } = await pool.query('SELECT content, status FROM replies');
    expect(rows).toEqual([{ content: text, status: 'complete' }]);
    for (const client of [early, late]) {
      expect(client.get()).toMatchObject({ content: text, status: 'complete' });
      client.stop();
    }
  }, 60_000);
});
