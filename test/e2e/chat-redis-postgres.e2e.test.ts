import { describeChatSuite } from './support/chatSuite';
import { redisPostgresBackend } from './support/demo';

await describeChatSuite(redisPostgresBackend());
