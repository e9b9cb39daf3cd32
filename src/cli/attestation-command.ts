/**
 * `trent attestation init-root|create|verify`: the command-line face of the attestation test kit
 * (attestation-kit.ts). Errors are one line on stderr and exit code 1; `verify` prints the
 * document's fields as JSON and exits 0 only when the document is valid.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { spkiOfKeyFile } from '../crypto/certificate-authority.js';
import { parsePemCertificates } from '../crypto/certificate-chain.js';
import { loadAttestationRoots } from '../domain/attestation-roots.js';
import { createDocument, documentFile, initRoot, verifyDocument } from './attestation-kit.js';

class UsageError extends Error {}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function hexBytes(text: string, what: string, length?: number): Buffer {
  if (!/^([0-9a-fA-F]{2})+$/.test(text) || (length !== undefined && text.length !== 2 * length)) {
    throw new UsageError(`${what} must be ${length ?? 'some'} bytes of hex`);
  }
  return Buffer.from(text, 'hex');
}

function base64Bytes(text: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new UsageError(`${what} must be base64`);
  return Buffer.from(text, 'base64');
}

function pcrOptions(values: readonly string[], imageSha384: string | undefined): Map<number, Buffer> {
  const pcrs = new Map<number, Buffer>();
  for (const value of values) {
    const match = /^(\d{1,2})=(.*)$/.exec(value);
    const index = match ? Number(match[1]) : NaN;
    if (!match || index > 31) throw new UsageError(`--pcr ${value}: expected N=HEX with N in 0..31`);
    pcrs.set(index, hexBytes(match[2]!, `PCR${index}`, 48));
  }
  if (imageSha384 !== undefined) pcrs.set(0, hexBytes(imageSha384, '--image-sha384 (PCR0)', 48));
  return pcrs;
}

function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

async function run(action: () => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (err) {
    process.stderr.write(`trent attestation: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

export function attestationCommand(program: Command): void {
  const attestation = program.command('attestation').description('test kit for Nitro Enclaves attestation documents (Recipient)');

  attestation
    .command('init-root')
    .description('make a TEST root CA and intermediate (P-384) for signing attestation documents')
    .requiredOption('--out <dir>', 'directory for root.pem, root.key, intermediate.pem, intermediate.key')
    .action((options: { out: string }) =>
      run(async () => {
        const files = await initRoot(options.out);
        process.stdout.write(`${JSON.stringify({ root: files.rootPem, intermediate: files.intermediatePem })}\n`);
      }),
    );

  attestation
    .command('create')
    .description('sign an attestation document in the Nitro format (COSE_Sign1, ES384) for a public key')
    .requiredOption('--root <dir>', 'a directory made by init-root')
    .requiredOption('--public-key <file>', "the enclave's public key, DER or PEM")
    .option('--pcr <N=HEX>', 'a PCR value, 48 bytes of hex (repeatable); others are zero', collect, [])
    .option('--image-sha384 <hex>', 'the enclave image digest (PCR0)')
    .option('--user-data <base64>', 'user_data')
    .option('--nonce <base64>', 'nonce')
    .option('--out <file>', 'write the document (CBOR) here; else print it as base64')
    .action((options: { root: string; publicKey: string; pcr: string[]; imageSha384?: string; userData?: string; nonce?: string; out?: string }) =>
      run(async () => {
        let publicKey: Buffer;
        try {
          publicKey = spkiOfKeyFile(read(options.publicKey));
        } catch (err) {
          if (err instanceof UsageError) throw err;
          throw new UsageError(`${options.publicKey} is not a public key (DER or PEM)`);
        }
        const document = await createDocument({
          rootDir: options.root,
          publicKey,
          pcrs: pcrOptions(options.pcr, options.imageSha384),
          ...(options.userData !== undefined && { userData: base64Bytes(options.userData, '--user-data') }),
          ...(options.nonce !== undefined && { nonce: base64Bytes(options.nonce, '--nonce') }),
        });
        if (options.out !== undefined) writeFileSync(options.out, document);
        else process.stdout.write(`${document.toString('base64')}\n`);
      }),
    );

  attestation
    .command('verify')
    .description('verify an attestation document as the server does and print its fields as JSON')
    .argument('<file>', 'the document: CBOR, or base64 of it')
    .option('--trusted-root <pem>', "a trusted root (repeatable); default the server's: TRENT_ATTESTATION_ROOTS, else the AWS Nitro Enclaves root", collect, [])
    .option('--at <time>', 'verify at this ISO-8601 time instead of now')
    .action((file: string, options: { trustedRoot: string[]; at?: string }) =>
      run(() => {
        const at = options.at === undefined ? Date.now() : Date.parse(options.at);
        if (Number.isNaN(at)) throw new UsageError(`--at ${options.at}: not an ISO-8601 time`);
        const fromEnvironment = process.env.TRENT_ATTESTATION_ROOTS?.split(',').map((p) => p.trim()).filter((p) => p !== '');
        const roots =
          options.trustedRoot.length > 0
            ? options.trustedRoot.flatMap((path) => parsePemCertificates(read(path).toString('utf8')))
            : loadAttestationRoots(fromEnvironment?.length ? fromEnvironment : undefined);
        const fields = verifyDocument(documentFile(read(file)), roots, at);
        process.stdout.write(`${JSON.stringify(fields, null, 2)}\n`);
      }),
    );
}
