// A webhook receiver that checks convmock's signature with Node's standard library.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

// Whether `signature` (the x-protocol-signature header) signs `body` (a Buffer) with `secret`.
export function verify(secret, body, signature = '') {
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

// An HTTP server that calls onEvent with each event it can verify and answers 204, or 401
// to a bad signature. Start it with .listen(0, '127.0.0.1').
export function receiver(secret, onEvent) {
  return createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      // The exact bytes sent: verify them before parsing.
      const body = Buffer.concat(chunks);
      if (!verify(secret, body, req.headers['x-protocol-signature'])) {
        res.writeHead(401).end();
        return;
      }
      onEvent(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
}
