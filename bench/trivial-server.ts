/**
 * The ceiling the throughput benchmarks compare Trent with: a Node HTTP server that reads each
 * request body and answers a small fixed JSON body, on as many processes as Trent uses.
 * Usage: node dist/bench/trivial-server.js <workers>; prints `listening on <url>` when ready.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const workers = Number(process.argv[2] ?? '1');

function serve(): void {
  const body = JSON.stringify({ KeyId: 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000' });
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    if (cluster.isWorker) process.send?.({ port });
    else process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
  });
}

if (workers > 1 && cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (message: { port: number }) => {
      if (++ready === workers) process.stdout.write(`listening on http://127.0.0.1:${message.port}\n`);
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  serve();
}
