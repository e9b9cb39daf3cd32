/**
 * Binds the app to node:http and holds the transport's resource limits:
 *
 * - bodies are read up to the app's limit; a larger one is answered without buffering the
 *   rest, which is read and thrown away (up to `MAX_DRAIN_BYTES`) so the client can finish
 *   sending and read the answer (see answerOversized). Closing at once would be wrong: the
 *   kernel answers a client still sending with a reset, and a client whose write fails with
 *   EPIPE or ECONNRESET reports that, not the answer waiting unread in its socket (RFC 9112
 *   section 9.6 asks a server to close in stages for this reason). A body declared or sent past
 *   `MAX_DRAIN_BYTES` is answered with `Connection: close` and cut;
 * - at most `maxConcurrentRequests` requests are handled at once per process; more are answered
 *   ThrottlingException (which AWS SDKs retry with back-off) before their body is read, so
 *   memory stays bounded under any load;
 * - slow clients are cut off (headers within 10 s, the whole request within 30 s), and malformed
 *   HTTP, oversized headers and timeouts get an AWS-shaped JSON answer, not Node's bare one;
 * - at most `maxConnections` connections are open at once per process, and one idle for
 *   `idleTimeoutMs` (between requests, or before its first: Node's own timeouts never close a
 *   connection that sends nothing) is closed. Every open connection holds a file descriptor;
 *   without a cap, idle ones pile up until accept() fails with EMFILE and newcomers are reset or
 *   left hanging. At the cap a newcomer is still served: the longest-idle connection is closed to
 *   make room (any HTTP client must expect an idle keep-alive connection to close, RFC 9112
 *   section 9.6); only when every connection is busy is the newcomer refused, with
 *   ThrottlingException;
 * - close() stops accepting, lets requests in flight finish (answering them with
 *   `Connection: close`), and forces the remaining connections shut after a deadline.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  KmsError,
  messages,
  SerializationException,
  ThrottlingException,
  UnknownOperationException,
  ValidationException,
} from '../errors.js';
import { CONTENT_TYPE } from '../protocol/json11.js';
import { errorResponse, type App, type AppResponse } from './app.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  maxConcurrentRequests: number;
  /** A client must send all headers within this time, and the whole request within the next. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Open connections at once; see Connections. */
  maxConnections: number;
  /** A connection idle this long (between requests, or before its first) is closed. */
  idleTimeoutMs: number;
  /** How long close() waits for requests in flight before cutting connections. */
  shutdownGraceMs?: number;
}

export interface HttpServer {
  server: Server;
  url: string;
  /** Stops accepting, drains requests in flight, then closes every connection. */
  close(): Promise<void>;
}

export const MAX_HEADER_BYTES = 16 * 1024;

/**
 * How many bytes of an oversized body (counted from its first) are read and thrown away after
 * its answer, so the client can finish sending and read that answer. Past this the connection
 * is cut: a client sending that much past a 1 MiB limit is not an honest mistake worth the
 * bandwidth. Time is bounded too: the request timeout still runs while a body is drained.
 */
export const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** A body within the limit, or how much of one past it was read before reading stopped. */
type Body = { kind: 'complete'; body: Buffer } | { kind: 'too-large'; received: number };

/** Reads a body up to `limit` bytes; past it the request is left paused for drainBody(). */
function readBody(req: IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return resolve({ kind: 'too-large', received: 0 });
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        req.removeListener('data', onData);
        chunks.length = 0;
        resolve({ kind: 'too-large', received: size });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve({ kind: 'complete', body: Buffer.concat(chunks, size) }));
    req.on('error', reject);
  });
}

/** Whether the client keeps its connection open after this request (RFC 9112 section 9.3). */
function clientKeepsAlive(req: IncomingMessage): boolean {
  const options = (req.headers.connection ?? '').toLowerCase().split(',').map((option) => option.trim());
  if (options.includes('close')) return false;
  return req.httpVersion === '1.1' || options.includes('keep-alive');
}

/**
 * Reads and throws away the rest of an oversized body, `received` bytes of which were read
 * already. Resolves 'end' once the client has sent it all, 'over-limit' when it goes past
 * MAX_DRAIN_BYTES (reading stops there), 'closed' if the connection closes first.
 */
function drainBody(req: IncomingMessage, received: number): Promise<'end' | 'over-limit' | 'closed'> {
  return new Promise((resolve) => {
    let total = received;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total <= MAX_DRAIN_BYTES) return;
      req.removeListener('data', onData);
      req.pause();
      resolve('over-limit');
    };
    req.on('data', onData);
    req.once('end', () => resolve('end'));
    req.once('close', () => resolve('closed'));
    req.resume();
  });
}

/** The client's address; an IPv4 client of a dual-stack socket (`::ffff:10.0.0.5`) as IPv4. */
function remoteAddressOf(socket: Socket): { remoteAddress?: string } {
  const address = socket.remoteAddress;
  if (address === undefined) return {};
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return { remoteAddress: mapped?.[1] ?? address };
}

/** An AWS-shaped answer written straight to a socket whose HTTP parsing failed. */
function writeRawError(socket: Socket, error: KmsError): void {
  const response = errorResponse(error);
  socket.end(
    `HTTP/1.1 ${response.status} ${response.status === 400 ? 'Bad Request' : 'Error'}\r\n` +
      `Content-Type: ${CONTENT_TYPE}\r\nx-amzn-RequestId: ${response.headers['x-amzn-requestid']}\r\n` +
      `Content-Length: ${Buffer.byteLength(response.body)}\r\nConnection: close\r\n\r\n${response.body}`,
  );
}

/** How long a refused newcomer has to read its answer before its connection is cut. */
const REFUSED_LINGER_MS = 1000;

/**
 * The open connections of one server and whether each is idle: a connection is busy from the
 * moment a request's headers are in until its response is done, idle otherwise (including
 * before its first request and while it sends a request's headers, which headersTimeout bounds).
 */
class Connections {
  private readonly open = new Map<Socket, { requests: number; idleTimer: NodeJS.Timeout }>();
  /** The idle connections, longest-idle first (a Set keeps insertion order). */
  private readonly idle = new Set<Socket>();

  constructor(
    private readonly max: number,
    private readonly idleTimeoutMs: number,
  ) {}

  /**
   * Takes in a new connection, closing the longest-idle one if the cap is reached. False when
   * every open connection is busy: the newcomer must be refused.
   */
  admit(socket: Socket): boolean {
    if (this.open.size >= this.max) {
      const longestIdle = this.idle.values().next();
      if (longestIdle.done === true) return false;
      this.drop(longestIdle.value);
      longestIdle.value.destroy();
    }
    // The timer runs on while the connection is busy and does nothing then; requestDone() restarts it.
    const idleTimer = setTimeout(() => {
      if (this.open.get(socket)?.requests === 0) socket.destroy();
    }, this.idleTimeoutMs).unref();
    this.open.set(socket, { requests: 0, idleTimer });
    this.idle.add(socket);
    socket.once('close', () => this.drop(socket));
    return true;
  }

  requestStarted(socket: Socket): void {
    const state = this.open.get(socket);
    if (!state) return;
    state.requests++;
    this.idle.delete(socket);
  }

  requestDone(socket: Socket): void {
    const state = this.open.get(socket);
    if (!state || --state.requests > 0 || socket.destroyed) return;
    this.idle.add(socket);
    state.idleTimer.refresh();
  }

  /** Forgets a connection at once (its 'close' event comes a tick after destroy()). */
  private drop(socket: Socket): void {
    clearTimeout(this.open.get(socket)?.idleTimer);
    this.open.delete(socket);
    this.idle.delete(socket);
  }
}

export async function listen(app: App, options: HttpServerOptions): Promise<HttpServer> {
  let inFlight = 0;
  let closing = false;
  const connections = new Connections(options.maxConnections, options.idleTimeoutMs);
  /** Newcomers refused at the cap: already answered, so a request they send is ignored. */
  const refused = new WeakSet<Socket>();
  /** Connections whose request was answered while the rest of its oversized body is read. */
  const draining = new WeakSet<Socket>();
  let lingering = 0;

  const send = (res: ServerResponse, response: AppResponse, close: boolean): void => {
    const headers: Record<string, string | number> = { ...response.headers, 'content-length': Buffer.byteLength(response.body) };
    if (close || closing) headers['connection'] = 'close';
    res.writeHead(response.status, headers);
    res.end(response.body);
  };

  /**
   * Answers a request whose body is past the limit without a reset (see the top of this file).
   * On a connection that stays open the answer goes out at once, so a client that watches for
   * it can stop sending, and the rest of the body is read after it. On one that closes after
   * this request, closing with bytes unread would send a reset, so the body is read first and
   * the answer follows. Past MAX_DRAIN_BYTES, declared or sent, the answer closes the
   * connection at once, reset or not.
   */
  const answerOversized = async (req: IncomingMessage, res: ServerResponse, response: AppResponse, received: number): Promise<void> => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_DRAIN_BYTES) return send(res, response, true);
    const drained = drainBody(req, received);
    if (clientKeepsAlive(req) && !closing) {
      send(res, response, false);
      draining.add(req.socket);
      const outcome = await drained;
      draining.delete(req.socket);
      if (outcome === 'over-limit') req.socket.destroy();
      return;
    }
    if ((await drained) !== 'closed') send(res, response, true);
  };

  const server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      // Answer a request without Host ourselves (AWS-shaped) rather than with Node's bare 400.
      requireHostHeader: false,
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      // Node checks the two timeouts on this interval (30 s by default, too coarse for them).
      connectionsCheckingInterval: Math.max(50, Math.min(options.headersTimeoutMs, options.requestTimeoutMs) / 4),
    },
    async (req, res) => {
    if (refused.has(req.socket)) return;
    connections.requestStarted(req.socket);
    res.once('close', () => connections.requestDone(req.socket));
    if (inFlight >= options.maxConcurrentRequests) {
      send(res, errorResponse(new ThrottlingException(messages.throttled)), true);
      return;
    }
    inFlight++;
    try {
      const body = await readBody(req, options.maxBodyBytes);
      const tooLarge = body.kind === 'too-large';
      const response = await app.handle({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers as Record<string, string | undefined>,
        body: tooLarge ? Buffer.alloc(0) : body.body,
        oversized: tooLarge,
        ...remoteAddressOf(req.socket),
      });
      if (tooLarge) await answerOversized(req, res, response, body.received);
      else send(res, response, false);
    } catch {
      // Only a broken connection gets here: the app answers every error itself.
      res.destroy();
    } finally {
      inFlight--;
    }
    },
  );
  // Our idle timer closes idle connections; this only makes the Keep-Alive header, which clients
  // such as node:http's Agent and undici read, announce the same timeout.
  server.keepAliveTimeout = options.idleTimeoutMs;
  server.on('connection', (socket: Socket) => {
    if (connections.admit(socket)) return;
    // Every connection is busy. Tell the newcomer why and give it a moment to read that, unless
    // refused ones already linger in number: they may hold at most an eighth of the cap's
    // descriptors on top of it, however fast newcomers arrive.
    refused.add(socket);
    if (lingering >= Math.ceil(options.maxConnections / 8)) return void socket.destroy();
    lingering++;
    socket.once('close', () => lingering--);
    writeRawError(socket, new ThrottlingException(messages.tooManyConnections));
    setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
  });
  // Node would answer these itself, bare: an Expect other than 100-continue (417) and CONNECT.
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) =>
    send(res, errorResponse(new ValidationException(messages.unsupportedExpect)), true),
  );
  server.on('connect', (_req: IncomingMessage, socket: Socket) => writeRawError(socket, new UnknownOperationException('')));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A connection answered already (its oversized body timed out while drained) gets no
    // second answer it never asked for.
    if (!socket.writable || err.code === 'ECONNRESET' || draining.has(socket)) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') writeRawError(socket, new ValidationException(messages.headersTooLarge(MAX_HEADER_BYTES)));
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') writeRawError(socket, new ValidationException(messages.requestTimeout));
    else writeRawError(socket, new SerializationException(messages.malformedHttp));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    server,
    url: `http://${host}:${address.port}`,
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Connections that finish a request while closing are told to close (see send); any still
      // busy after the grace period are cut.
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      const deadline = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 10_000);
      try {
        await closed;
      } finally {
        clearInterval(idle);
        clearTimeout(deadline);
      }
    },
  };
}
