/**
 * Who is asking. A demo sign-in: the `user` cookie (set by the home page's
 * form) names the user, and a user owns the conversations whose id starts
 * with `<user>-`. Put your real session check here; everything else calls
 * these two functions.
 */
const USER_COOKIE = /(?:^|;\s*)user=([a-z0-9]{1,32})(?:;|$)/;

/** The signed-in user of a request's `Cookie` header, if any. */
export function sessionUser(cookieHeader: string | null): string | undefined {
  return USER_COOKIE.exec(cookieHeader ?? '')?.[1];
}

/** Whether `user` may read and write the conversation. */
export function mayAccess(user: string | undefined, conversationId: string): boolean {
  return user !== undefined && conversationId.startsWith(`${user}-`);
}
