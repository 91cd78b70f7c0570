import { describeChatSuite } from './support/chatSuite';
import { sqliteBackend } from './support/demo';

await describeChatSuite(sqliteBackend());
