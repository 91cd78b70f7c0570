// Kept only for createPostgresBus.ts, which imports these from here until it
// moves to postgres/bus.ts; new code imports from './identifiers'. Delete
// this file when that import changes.
export { parseTableName, quoteTableName, type TableName } from './identifiers';
