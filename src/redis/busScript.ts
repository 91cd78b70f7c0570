import { createHash } from 'node:crypto';

/**
 * The Lua script behind `createRedisBus`'s publish: one round trip, atomic,
 * so the TTL can never be set on a stream that a concurrent publish just
 * made live again, or be left off one that just finished; and the wake-up
 * (SPUBLISH on the key's own shard channel, so it stays in the key's slot
 * on a cluster) is sent in the same order as the entries. @internal
 */
export const PUBLISH_SCRIPT = `--[[
  Appends one stream event to a conversation's stream, sets its lifetime and
  announces it on the shard channel of the same name.

  Input:
    KEYS[1] stream key (also the shard channel), e.g. seqline:bus:{conversation-1}

    ARGV[1] maxlen: entries to keep, approximately (XADD MAXLEN ~)
    ARGV[2] ttl: seconds to keep the stream after this event, or 0 to keep it
            while a reply is still streaming (PERSIST)
    ARGV[3] the event as JSON

  Output:
    string  the entry id (the bus cursor), e.g. 1718000000000-3
  Publishes:
    KEYS[1] "<entry id> <event JSON>"
]]
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[3])
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
else
  redis.call('PERSIST', KEYS[1])
end
redis.call('SPUBLISH', KEYS[1], id .. ' ' .. ARGV[3])
return id
`;

/** SHA1 of `PUBLISH_SCRIPT`, for EVALSHA. @internal */
export const PUBLISH_SCRIPT_SHA = createHash('sha1').update(PUBLISH_SCRIPT).digest('hex');
