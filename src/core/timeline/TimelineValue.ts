import type { TimelineMessage } from '../compareMessages';
import { ValidationError } from '../errors';
import { gapsAfter } from './gaps';
import { flattenKeys, type KeyChunks } from './orderedKeys';
import type { PersistentMap } from './PersistentMap';
import type { SequenceGap, Timeline } from './types';
import type { Waiting } from './waiting';

/** The one implementation of `Timeline`: every operation returns one of these (or its input). */
export class TimelineValue implements Timeline {
  #messages: readonly TimelineMessage[] | undefined;

  constructor(
    readonly conversationId: string,
    /** Keys in display order, in chunks (see orderedKeys.ts). */
    readonly order: KeyChunks,
    readonly size: number,
    readonly gaps: readonly SequenceGap[],
    readonly lastSequence: number,
    /** Sequences at or below this are not expected (the `after` option). */
    readonly start: number,
    readonly entries: PersistentMap<TimelineMessage>,
    /** Server id → key, for messages whose key is their clientId. */
    readonly keyById: PersistentMap<string>,
    /** Server id → events waiting for that message. */
    readonly waiting: PersistentMap<Waiting>,
    readonly sendCount: number,
  ) {}

  get keys(): readonly string[] {
    return flattenKeys(this.order);
  }

  get messages(): readonly TimelineMessage[] {
    this.#messages ??= this.keys.map((key) => this.entries.get(key)!);
    return this.#messages;
  }

  get(key: string): TimelineMessage | undefined {
    return this.entries.get(key);
  }

  getById(id: string): TimelineMessage | undefined {
    return this.entries.get(this.keyById.get(id) ?? id);
  }
}

/** The timeline's implementation, or a `ValidationError` for anything else passed as one. */
export function asValue(timeline: Timeline): TimelineValue {
  if (!(timeline instanceof TimelineValue)) {
    throw new ValidationError('timeline', [
      { path: [], message: 'is not a timeline: create one with createTimeline(conversationId)' },
    ]);
  }
  return timeline;
}

/** The same timeline starting after `start`: gaps at or below it dropped. */
export function startAfter(value: TimelineValue, start: number): TimelineValue {
  return new TimelineValue(
    value.conversationId,
    value.order,
    value.size,
    gapsAfter(value.gaps, start),
    Math.max(value.lastSequence, start),
    start,
    value.entries,
    value.keyById,
    value.waiting,
    value.sendCount,
  );
}
