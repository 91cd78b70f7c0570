export type {
  IoRedisScriptClient,
  NodeRedisScriptClient,
  RedisAllocator,
  RedisAllocatorOptions,
  RedisFloor,
  RedisScriptClient,
} from './createRedisAllocator';
export { createRedisAllocator } from './createRedisAllocator';
export type { AllocateScriptCall } from './script';
export { ALLOCATE_SCRIPT, ALLOCATE_SCRIPT_SHA, allocateScriptCall, counterKey } from './script';
