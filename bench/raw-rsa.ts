/**
 * Raw node:crypto RSA_2048 generation on all cores, the reference for Trent's sustained
 * RSA_2048 GenerateDataKeyPair throughput: asynchronous generation (libuv thread pool) with as
 * many generations in flight as the thread pool has threads, for the given seconds.
 * Usage: node dist/bench/raw-rsa.js <seconds>; prints {"pairs": n, "seconds": s}.
 */
import { generateKeyPair } from 'node:crypto';

const seconds = Number(process.argv[2] ?? '10');
const inFlight = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const DER = { publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } } as const;

let pairs = 0;
const started = performance.now();
const deadline = started + seconds * 1000;
const one = (): Promise<void> =>
  new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001, ...DER }, (err) => (err ? reject(err) : resolve())),
  );
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (performance.now() < deadline) {
      await one();
      pairs++;
    }
  }),
);
process.stdout.write(JSON.stringify({ pairs, seconds: (performance.now() - started) / 1000 }) + '\n');
