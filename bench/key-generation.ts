/**
 * Key pair generation rates on one core, per data key pair spec and path, measured side by side:
 * the generic node:crypto generator with DER output, the ECDH path (createECDH().generateKeys()
 * plus fixed DER templates, crypto/ec-der.ts) for the EC curves, and the path Trent uses
 * (crypto/asymmetric.ts, asynchronous). Decides which path each spec takes.
 * Usage: npm run bench:keygen   (node dist/bench/key-generation.js [milliseconds per row])
 */
import { createECDH, generateKeyPairSync } from 'node:crypto';
import { generateKeyPair } from '../src/crypto/asymmetric.js';
import { encodeEcKeyPair } from '../src/crypto/ec-der.js';
import { allDataKeyPairSpecs } from '../src/domain/key-specs.js';

const budgetMs = Number(process.argv[2] ?? '400');
const DER = { publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } } as const;

async function rate(fn: () => unknown | Promise<unknown>, maxCount: number): Promise<number> {
  const started = performance.now();
  let n = 0;
  while (n < maxCount && performance.now() - started < budgetMs) {
    await fn();
    n++;
  }
  return n / ((performance.now() - started) / 1000);
}

const rows: Array<Record<string, unknown>> = [];
process.stdout.write(`${'spec'.padEnd(22)} ${'generic/s'.padStart(10)} ${'ecdh/s'.padStart(10)} ${'trent/s'.padStart(10)} ${'ecdh/generic'.padStart(13)}\n`);
for (const spec of allDataKeyPairSpecs()) {
  const max = spec.params.kind === 'rsa' ? (spec.params.modulusLength > 2048 ? 2 : 8) : 1_000_000;
  let generic = NaN;
  let ecdh = NaN;
  const params = spec.params;
  if (params.kind === 'rsa') generic = await rate(() => generateKeyPairSync('rsa', { modulusLength: params.modulusLength, ...DER }), max);
  if (params.kind === 'ec') {
    // Both paths are measured for every curve; the table in key-specs.ts marks which are inline.
    generic = await rate(() => generateKeyPairSync('ec', { namedCurve: params.namedCurve, ...DER }), max);
    ecdh = await rate(() => {
      const e = createECDH(params.namedCurve);
      e.generateKeys();
      return encodeEcKeyPair(params.namedCurve, e.getPrivateKey(), e.getPublicKey());
    }, max);
  }
  if (params.kind === 'ed25519') generic = await rate(() => generateKeyPairSync('ed25519', DER), max);
  const trent = await rate(() => generateKeyPair(params), max);
  rows.push({ spec: spec.name, generic, ecdh, trent });
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-').padStart(10);
  process.stdout.write(`${spec.name.padEnd(22)} ${f(generic)} ${f(ecdh)} ${f(trent)} ${(Number.isFinite(ecdh) ? (ecdh / generic).toFixed(1) + 'x' : '-').padStart(13)}\n`);
}
