/** A raw HTTP/1.1 exchange, for requests fetch refuses to send (bad Host, lying Content-Length…). */
import { Socket } from 'node:net';

/**
 * Writes `text` on a new socket to 127.0.0.1:`port` and resolves with the
 * status line of the answer, or '' when none came within `ms` (or the
 * connection closed first). `end` half-closes after writing.
 */
export function rawRequest(
  port: number,
  text: string,
  options: { end?: boolean; ms?: number } = {},
): Promise<string> {
  return new Promise<string>((resolve) => {
    const socket = new Socket();
    let received = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received.split('\r\n')[0] ?? '');
    };
    const timer = setTimeout(done, options.ms ?? 3000);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.connect(port, '127.0.0.1', () => {
      socket.write(text, 'latin1');
      if (options.end) socket.end();
    });
  });
}
