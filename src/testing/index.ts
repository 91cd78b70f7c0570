export type { TestSequenceAllocatorOptions } from './testSequenceAllocator';
export { testSequenceAllocator } from './testSequenceAllocator';
