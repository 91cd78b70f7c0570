export type { TestMessageBusOptions } from './testMessageBus';
export { testMessageBus } from './testMessageBus';
export type { TestMessageStoreOptions } from './testMessageStore';
export { testMessageStore } from './testMessageStore';
export type { TestSequenceAllocatorOptions } from './testSequenceAllocator';
export { testSequenceAllocator } from './testSequenceAllocator';
