import { useQueryClient } from '@tanstack/react-query';
import { type ConversationStore, getConversationStore } from '../client/conversationStore';

/** The conversation's store under the nearest `QueryClientProvider` (one per client and id). */
export function useConversationStore(conversationId: string): ConversationStore {
  return getConversationStore(useQueryClient(), conversationId);
}
