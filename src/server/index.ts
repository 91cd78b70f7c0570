export type { AllocateOptions, SequenceAllocator, SequenceRange } from './allocator';
export { assertValidCount, assertValidScope, MAX_SCOPE_BYTES } from './allocator';
export type { SequenceAllocatorErrorCode } from './errors';
export { SequenceAllocatorError } from './errors';
export type { InsertWithSequenceOptions, InsertWithSequenceResult } from './insertWithSequence';
export { insertWithSequence } from './insertWithSequence';
export type { MemoryAllocator } from './memory';
export { createMemoryAllocator } from './memory';
