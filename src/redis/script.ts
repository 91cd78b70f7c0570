import { createHash } from 'node:crypto';

/**
 * The one Lua script behind the Redis allocator. It runs atomically on the
 * node that owns the counter key, so concurrent callers in any number of
 * processes never see the same value.
 *
 * Why a "needs seed" signal instead of starting at 1: a counter can vanish
 * (FLUSHALL, eviction, a restart without persistence) while the database still
 * holds messages numbered up to N. Restarting at 1 would silently re-issue
 * numbers. The caller reads the database's MAX(sequence) and runs the script
 * again with it as the seed.
 *
 * The seed raises the counter to at least `seed` (never lowers it): seeders
 * racing with stale floors all agree, and the same call re-seeds a counter
 * that survived but fell behind the table (the unique-violation retry path).
 */
export const ALLOCATE_SCRIPT = `--[[
  Reserves ARGV[1] sequences for one scope and returns the last of them.

  Input:
    KEYS[1] counter key, e.g. seqline:seq:{conversation-1}

    ARGV[1] count: how many sequences to reserve (0 reads the counter)
    ARGV[2] seed: '' for none, else a non-negative integer, the database's
            MAX(sequence) for the scope; the counter is raised to it first

  Output:
    nil      the key is missing and no seed was given: read the floor, retry
    -1       count more would pass 2^53 - 1 (Number.MAX_SAFE_INTEGER):
             nothing was reserved
    string   the last reserved sequence (the counter after INCRBY), as
             the decimal string GET returns: some client parsers round
             integer replies of 16 digits (ioredis reads 2^53 - 1 as 2^53)
]]
local key = KEYS[1]
local count = tonumber(ARGV[1])
local seed = ARGV[2]

local value = redis.call('GET', key)
if seed ~= '' then
  if not value or tonumber(value) < tonumber(seed) then
    redis.call('SET', key, seed)
    value = seed
  end
elseif not value then
  return false
end

-- Doubles hold every integer up to 2^53 exactly, so this compares exactly.
-- A value that is not a number is left to INCRBY, which reports it.
local current = tonumber(value)
if current and current > 9007199254740991 - count then
  return -1
end
redis.call('INCRBY', key, count)
return redis.call('GET', key)
`;

/** SHA1 of `ALLOCATE_SCRIPT`, for EVALSHA. */
export const ALLOCATE_SCRIPT_SHA = createHash('sha1').update(ALLOCATE_SCRIPT).digest('hex');

/** Keys and arguments for one run of `ALLOCATE_SCRIPT`, in the order its header lists them. */
export interface AllocateScriptCall {
  keys: [counterKey: string];
  args: [count: string, seed: string];
}

/**
 * Builds the keys and arguments of `ALLOCATE_SCRIPT`.
 *
 * @param key the counter key (from `counterKey`)
 * @param count sequences to reserve; 0 only reads
 * @param seed the floor to raise a missing or lagging counter to; `undefined` for none
 */
export function allocateScriptCall(
  key: string,
  count: number,
  seed: number | undefined,
): AllocateScriptCall {
  return { keys: [key], args: [String(count), seed === undefined ? '' : String(seed)] };
}

/**
 * The counter key for `scope`: `${prefix}{${encoded scope}}`.
 *
 * The braces are a Redis Cluster hash tag, so everything about one scope
 * lives in one slot. Redis takes the text between the first `{` and the next
 * `}` as the tag, so a scope containing `}` would cut the tag short, and an
 * empty tag is ignored. `%`, `{` and `}` are therefore percent-encoded: the
 * encoding is reversible (two scopes never share a key) and ordinary ids stay
 * readable in `redis-cli`.
 *
 * @example
 * counterKey('seqline:seq:', 'conversation-1'); // 'seqline:seq:{conversation-1}'
 * counterKey('seqline:seq:', 'a}b');            // 'seqline:seq:{a%7Db}'
 */
export function counterKey(prefix: string, scope: string): string {
  return `${prefix}{${scope.replace(/[%{}]/g, encodeChar)}}`;
}

// ---------------------------------------------------------------------------

function encodeChar(char: string): string {
  return char === '%' ? '%25' : char === '{' ? '%7B' : '%7D';
}
