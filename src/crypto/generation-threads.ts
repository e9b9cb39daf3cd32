/**
 * Threads of its own for expensive key generation (RSA: up to seconds of one core a pair), so
 * that it never waits in, nor fills, libuv's four-thread pool, which every cheap request of the
 * process shares (an EC pair, a file read). Measured before: four CreateKey RSA_4096 calls took
 * all four libuv threads and an unrelated P-384 GenerateDataKeyPair went from 4 ms to 1.65 s
 * (bench/run.ts, section `starve`).
 *
 * A `GenerationThreads` runs at most `size` generations at once, one per thread, in order of
 * arrival; threads start on first use and end after `idleMs` without work (each holds a V8
 * isolate, megabytes of memory), and an idle thread never keeps the process alive. With
 * `lowPriority` each thread runs at nice 19 (generation-thread.ts): the background refill of the
 * durable reserve uses that, on-demand generation does not.
 */
import { Worker } from 'node:worker_threads';
import { generateKeyPair, type DerKeyPair, type KeyPairParams } from './asymmetric.js';
import type { GenerationReply, GenerationRequest } from './generation-thread.js';

interface Job {
  params: KeyPairParams;
  resolve(pair: DerKeyPair): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  job?: Job & { id: number };
  /** Ends the thread once it has been idle for idleMs. */
  idleTimer?: NodeJS.Timeout;
}

/** How long a thread waits for work before it ends. */
const DEFAULT_IDLE_MS = 10_000;

const THREAD_SCRIPT = new URL('./generation-thread.js', import.meta.url);

export class GenerationThreads {
  private readonly threads: Thread[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly options: { lowPriority?: boolean; idleMs?: number } = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error('GenerationThreads needs at least one thread');
  }

  /** A fresh pair, made on one of these threads. */
  generate(params: KeyPairParams): Promise<DerKeyPair> {
    if (this.closed) return Promise.reject(new Error('key generation threads are closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ params, resolve, reject });
      this.dispatch();
    });
  }

  /** Threads alive now. */
  threadCount(): number {
    return this.threads.length;
  }

  /** Generations running or waiting. */
  pending(): number {
    return this.queue.length + this.threads.filter((t) => t.job).length;
  }

  /** Stops every thread; generations waiting or running are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('key generation threads are closed'));
    await Promise.all(
      this.threads.splice(0).map((thread) => {
        clearTimeout(thread.idleTimer);
        thread.job?.reject(new Error('key generation threads are closed'));
        return thread.worker.terminate();
      }),
    );
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const thread = this.threads.find((t) => !t.job) ?? (this.threads.length < this.size ? this.spawn() : undefined);
      if (!thread) return;
      const job = this.queue.shift() as Job;
      clearTimeout(thread.idleTimer);
      thread.job = { ...job, id: ++this.nextId };
      thread.worker.ref();
      thread.worker.postMessage({ id: thread.job.id, params: job.params } satisfies GenerationRequest);
    }
  }

  private spawn(): Thread {
    const thread: Thread = { worker: new Worker(THREAD_SCRIPT, { workerData: { lowPriority: this.options.lowPriority === true } }) };
    thread.worker.unref();
    thread.worker.on('message', (reply: GenerationReply) => {
      const job = thread.job;
      if (!job || job.id !== reply.id) return;
      delete thread.job;
      thread.worker.unref();
      if ('error' in reply) job.reject(new Error(`key generation failed: ${reply.error}`));
      else job.resolve({ publicKey: asBuffer(reply.publicKey), privateKey: asBuffer(reply.privateKey) });
      this.dispatch();
      if (!thread.job) {
        thread.idleTimer = setTimeout(() => this.retire(thread), this.options.idleMs ?? DEFAULT_IDLE_MS);
        thread.idleTimer.unref();
      }
    });
    // A thread that dies takes its job with it; the next job gets a new thread.
    const lost = (err: Error) => {
      clearTimeout(thread.idleTimer);
      const index = this.threads.indexOf(thread);
      if (index >= 0) this.threads.splice(index, 1);
      thread.job?.reject(err);
      delete thread.job;
      if (!this.closed) this.dispatch();
    };
    thread.worker.on('error', lost);
    thread.worker.on('exit', (code) => lost(new Error(`key generation thread exited with code ${code}`)));
    this.threads.push(thread);
    return thread;
  }

  /** Ends an idle thread; the next job starts another. */
  private retire(thread: Thread): void {
    if (thread.job) return;
    const index = this.threads.indexOf(thread);
    if (index >= 0) this.threads.splice(index, 1);
    thread.worker.removeAllListeners('exit');
    void thread.worker.terminate();
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The generator a process uses: RSA on `threads`, every other kind as before (EC and Ed25519 on
 * libuv's pool, P-256 and ML-KEM inline), since they cost a millisecond or less a pair.
 */
export function generatorOn(threads: GenerationThreads): (params: KeyPairParams) => Promise<DerKeyPair> {
  return (params) => (params.kind === 'rsa' ? threads.generate(params) : generateKeyPair(params));
}
