/** JSON responses and a bounded body reader for the route handlers. */

/** The error body every route answers with: `{ error: { code, message } }`. */
export interface ErrorBody {
  error: { code: string; message: string };
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

export function fail(
  status: number,
  code: string,
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
