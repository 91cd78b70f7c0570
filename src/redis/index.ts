export { PUBLISH_SCRIPT, PUBLISH_SCRIPT_SHA } from './busScript';
export type {
  IoRedisScriptClient,
  NodeRedisScriptClient,
  RedisAllocator,
  RedisAllocatorOptions,
  RedisFloor,
  RedisScriptClient,
} from './createRedisAllocator';
export { createRedisAllocator } from './createRedisAllocator';
export type {
  IoRedisBusClient,
  NodeRedisBusClient,
  RedisBusClient,
  RedisBusOptions,
} from './createRedisBus';
export { createRedisBus } from './createRedisBus';
export type { AllocateScriptCall } from './script';
export { ALLOCATE_SCRIPT, ALLOCATE_SCRIPT_SHA, allocateScriptCall, counterKey } from './script';
