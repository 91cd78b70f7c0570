/**
 * seqline core: message schemas, the one message order (`compareMessages`)
 * and the immutable timeline that merges history, optimistic sends and
 * stream events. Pure: no framework, no I/O.
 */
export * from './core/index';
