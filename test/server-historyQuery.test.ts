/**
 * A history query is checked in two places, the route's `parseHistoryQuery`
 * (query strings, 400 INVALID_QUERY) and every store's `validateHistoryQuery`
 * (numbers, MessageStoreError INVALID_INPUT), by one set of rules
 * (`isHistoryValue`). Pins the boundaries in both, so a minimum changed in one
 * of them (say `before=0` accepted by the route and refused by the store)
 * fails here.
 */
import { describe, expect, it } from 'vitest';
import {
  HistoryQueryError,
  MAX_HISTORY_LIMIT,
  MessageStoreError,
  parseHistoryQuery,
} from '../src/server/index';
import { validateHistoryQuery } from '../src/server/store/messageStore';

const route = (query: Record<string, number>) => {
  try {
    parseHistoryQuery(new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])));
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(HistoryQueryError);
    return 'refused';
  }
};
const store = (query: Record<string, number>) => {
  try {
    validateHistoryQuery({ limit: 10, ...query });
    return 'ok';
  } catch (error) {
    expect((error as MessageStoreError).code).toBe('INVALID_INPUT');
    expect(error).toBeInstanceOf(MessageStoreError);
    return 'refused';
  }
};

describe('history query rules, route and store alike', () => {
  const cases: [Record<string, number>, 'ok' | 'refused'][] = [
    [{}, 'ok'],
    [{ after: 0 }, 'ok'],
    [{ after: -1 }, 'refused'],
    [{ after: 41 }, 'ok'],
    [{ before: 1 }, 'ok'],
    [{ before: 0 }, 'refused'],
    [{ limit: 1 }, 'ok'],
    [{ limit: 0 }, 'refused'],
    [{ limit: MAX_HISTORY_LIMIT }, 'ok'],
    [{ limit: MAX_HISTORY_LIMIT + 1 }, 'refused'],
    [{ after: 3, before: 9 }, 'refused'],
    [{ after: 1.5 }, 'refused'],
  ];
  it.each(cases)('%j is %s', (query, expected) => {
    expect(route(query)).toBe(expected);
    expect(store(query)).toBe(expected);
  });

  it('the route takes plain digits only, which the store never sees', () => {
    for (const value of ['1e3', '0x10', ' 7', '+1', 'abc'])
      expect(route({ after: value as never })).toBe('refused');
    expect(parseHistoryQuery(new URLSearchParams('after=007&limit=5'))).toEqual({
      after: 7,
      limit: 5,
    });
  });
});
