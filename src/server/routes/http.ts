/** JSON responses and a bounded body reader for the route handlers. */

/** Every `code` the routes answer with, in `{ error: { code, message } }` and on `MessageRouteError`. */
export type MessageRouteErrorCode =
  /** 400: the conversation id is empty, too long, has control characters, or is bad percent-encoding. */
  | 'INVALID_CONVERSATION_ID'
  /** 400: `after`, `before` or `limit` is not valid. */
  | 'INVALID_QUERY'
  /** 400: the body is not JSON. */
  | 'INVALID_JSON'
  /** 400: the body is not the object the route takes. */
  | 'INVALID_BODY'
  /** 400: `clientId` is not a string of 1 to 255 characters. */
  | 'INVALID_CLIENT_ID'
  /** 400: `content` is not a non-empty string. */
  | 'INVALID_CONTENT'
  /** 400: the store refused the message (`MessageStoreError` `INVALID_INPUT`). */
  | 'INVALID_MESSAGE'
  /** 401: `authorize` answered with a 401 `Response`. */
  | 'UNAUTHORIZED'
  /** 403: `authorize` said no (or answered with another `Response`). */
  | 'FORBIDDEN'
  /** 404: no such route, or (stop route) no reply at that sequence. */
  | 'NOT_FOUND'
  /** 405: a known path with another method; `Allow` says which. */
  | 'METHOD_NOT_ALLOWED'
  /** 409: the clientId was already used for a different message. */
  | 'CLIENT_ID_CONFLICT'
  /** 413: the body is larger than `maxBodyBytes`. */
  | 'BODY_TOO_LARGE'
  /** 413: `content` is longer than `maxContentChars`. */
  | 'CONTENT_TOO_LONG'
  /** 415: the body is not `application/json`. */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** 422: a client sent a role other than `user`. */
  | 'ROLE_NOT_ALLOWED'
  /** 503: the store is down; retry with the same clientId (`Retry-After`). */
  | 'UNAVAILABLE'
  /** 500: anything else; it was passed to `onError`. */
  | 'INTERNAL';

/** The error body every route answers with: `{ error: { code, message } }`. */
export interface ErrorBody {
  error: { code: MessageRouteErrorCode; message: string };
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    },
  });
}

/** The JSON error response `{ error: { code, message } }`, the message with its `[seqline] ` prefix. */
export function fail(
  status: number,
  code: MessageRouteErrorCode,
  message: string,
  headers?: Record<string, string>,
): Response {
  const body: ErrorBody = { error: { code, message: `[seqline] ${message}` } };
  return json(status, body, headers);
}

/** What `readBody` found: the text, or the response to answer with. */
export type BodyResult = { text: string } | { response: Response };

/**
 * Reads a request body as text, at most `maxBytes`: a `Content-Length` above
 * it is refused before reading, and reading stops as soon as the body grows
 * past it, so a huge upload costs at most `maxBytes` of memory.
 */
export async function readBody(request: Request, maxBytes: number): Promise<BodyResult> {
  const tooLarge = () => ({
    response: fail(413, 'BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes`),
  });
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) return tooLarge();
  if (!request.body) return { text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { text: new TextDecoder().decode(bytes) };
}
