/**
 * The body of one key-generation thread (generation-threads.ts): it makes one key pair per
 * message with node:crypto's synchronous generator, on this thread alone, so an RSA_4096 pair
 * (seconds of one core) never occupies libuv's shared thread pool, which serves every cheap
 * request's file, DNS and crypto work in the same process.
 *
 * A background thread (workerData.lowPriority) lowers its own scheduling priority to nice 19
 * first. On Linux the nice value belongs to the thread (setpriority(PRIO_PROCESS, 0) applies to
 * the calling thread), so the process's other threads keep theirs: when request threads want
 * the cores, this one gets what they leave.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { generateKeyPairOnThisThread, type KeyPairParams } from './asymmetric.js';

export interface GenerationRequest {
  id: number;
  params: KeyPairParams;
}

export type GenerationReply =
  | { id: number; publicKey: Uint8Array; privateKey: Uint8Array }
  | { id: number; error: string };

const LOWEST_PRIORITY = 19;

if ((workerData as { lowPriority?: boolean } | undefined)?.lowPriority === true) {
  try {
    setPriority(LOWEST_PRIORITY);
  } catch {
    // Not permitted here (some containers): generation still runs off the request threads.
  }
}

parentPort?.on('message', (request: GenerationRequest) => {
  try {
    const pair = generateKeyPairOnThisThread(request.params);
    // postMessage copies the bytes; this thread's copy of the private key is wiped at once.
    parentPort?.postMessage({ id: request.id, publicKey: pair.publicKey, privateKey: pair.privateKey } satisfies GenerationReply);
    pair.privateKey.fill(0);
  } catch (err) {
    parentPort?.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) } satisfies GenerationReply);
  }
});
