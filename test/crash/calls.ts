/**
 * One request's outcome as the crash harness sees it. Only a resolved SDK call is an
 * acknowledgement. A 4xx is a refusal: the write was not applied. A 5xx is a server fault that
 * may have come after a commit. Anything without an HTTP status (connection refused or reset,
 * a response cut off by the kill) is no answer: the write may or may not have been applied.
 */
import type { Ledger } from './ledger.js';

export type Answer<T> =
  | { kind: 'ok'; output: T }
  | { kind: 'refused'; status: number; name: string; message: string }
  | { kind: 'fault'; status: number; name: string; message: string }
  | { kind: 'none'; message: string };

export async function send<T>(request: () => Promise<T>): Promise<Answer<T>> {
  try {
    return { kind: 'ok', output: await request() };
  } catch (err) {
    const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const name = e.name ?? 'Error';
    const message = e.message ?? String(err);
    if (status !== undefined && status >= 400 && status < 500) return { kind: 'refused', status, name, message };
    if (status !== undefined && status >= 500) return { kind: 'fault', status, name, message };
    return { kind: 'none', message: [e.code, name, message].filter((part) => part !== undefined).join(': ') };
  }
}

export function describeFailure(answer: Exclude<Answer<unknown>, { kind: 'ok' }>): string {
  return answer.kind === 'none' ? `no answer (${answer.message})` : `${answer.name} (HTTP ${answer.status}): ${answer.message}`;
}

/**
 * Sends requests for one phase of a campaign (a client loop in a round, or a verification),
 * counts writes in the ledger and reports what must not happen as violations. Every request
 * the harness sends is valid for the state its ledger knows, so any refusal or fault is a
 * violation; no answer is one too unless the server is being killed.
 */
export class Caller {
  /** Set once a request got no answer: the server is gone, stop sending. */
  stopped = false;

  constructor(
    private readonly ledger: Ledger,
    private readonly label: string,
    private readonly violations: string[],
    private readonly killing: () => boolean = () => false,
  ) {}

  violation(message: string): void {
    this.violations.push(`${this.label}: ${message}`);
  }

  /**
   * Sends a write and records it: acknowledged -> `acked(output)`; no answer, or a server
   * fault (which may come after the commit) -> `inFlight()`, either outcome being acceptable
   * after the restart; refused -> nothing, it was not applied.
   */
  async write<T>(what: string, request: () => Promise<T>, effects: { acked(output: T): void; inFlight(): void }): Promise<boolean> {
    const answer = await send(request);
    if (answer.kind === 'ok') {
      this.ledger.acknowledgedWrites++;
      effects.acked(answer.output);
      return true;
    }
    if (answer.kind === 'none' || answer.kind === 'fault') {
      this.ledger.unknownWrites++;
      effects.inFlight();
    }
    this.failed(what, answer);
    return false;
  }

  /** Sends a request that changes nothing; undefined when it was not answered 200. */
  async read<T>(what: string, request: () => Promise<T>): Promise<T | undefined> {
    const answer = await send(request);
    if (answer.kind === 'ok') return answer.output;
    this.failed(what, answer);
    return undefined;
  }

  private failed(what: string, answer: Exclude<Answer<unknown>, { kind: 'ok' }>): void {
    if (answer.kind === 'none') {
      this.stopped = true;
      if (this.killing()) return;
    }
    this.violation(`${what}: ${describeFailure(answer)}`);
  }
}
