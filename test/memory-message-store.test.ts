import { createMemoryMessageStore } from '../src/server';
import { testMessageStore } from '../src/testing';

testMessageStore({ name: 'memory', create: () => createMemoryMessageStore() });
