import { describeChatSuite } from './support/chatSuite';
import { postgresBackend } from './support/demo';

await describeChatSuite(postgresBackend());
