/**
 * One loader process for bench/wrk.ts when wrk is not installed: runs bench/load.ts's keep-alive
 * loop with the job (url, prepared requests, concurrency, duration) given as JSON on stdin and prints the result as JSON
 * (latencies thinned to at most 20,000 samples).
 */
import { runLoad, type PreparedRequest } from './load.js';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const job = JSON.parse(Buffer.concat(chunks).toString()) as { url: string; requests: PreparedRequest[]; concurrency: number; durationMs: number };
const result = await runLoad({
  url: job.url,
  next: (i) => job.requests[i % job.requests.length] as PreparedRequest,
  concurrency: job.concurrency,
  durationMs: job.durationMs,
});
const step = Math.max(1, Math.ceil(result.latencies.length / 20_000));
process.stdout.write(JSON.stringify({ ...result, latencies: result.latencies.filter((_, i) => i % step === 0) }));
