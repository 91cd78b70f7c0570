import { createMemoryAllocator } from '../src/server';
import { testSequenceAllocator } from '../src/testing';

testSequenceAllocator({
  name: 'memory',
  create: () => createMemoryAllocator(),
});
