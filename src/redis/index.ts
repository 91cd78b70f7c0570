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
