/**
 * A TCP proxy in front of a real server (PostgreSQL in the fault tests), which a test can cut
 * and restore, so a database outage is simulated without stopping a database others share.
 * `cut('reset')` closes every connection and refuses new ones (a database that stopped or
 * restarted); `cut('blackhole')` keeps connections open and accepts new ones but forwards
 * nothing (a network path that went dead, or a database that hangs). `restore()` forwards again.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type CutMode = 'reset' | 'blackhole';

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private mode: CutMode | undefined;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<number> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, resolve);
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (this.mode === 'blackhole') {
      client.on('data', () => {}); // swallowed
      return;
    }
    const upstream = connect({ host: this.targetHost, port: this.targetPort });
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk) => {
      if (this.mode !== 'blackhole') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.mode !== 'blackhole') client.write(chunk);
    });
  }

  async cut(mode: CutMode): Promise<void> {
    this.mode = mode;
    if (mode === 'reset') {
      for (const socket of this.sockets) socket.resetAndDestroy();
      await this.closeServer();
    }
  }

  async restore(): Promise<void> {
    const wasBlackhole = this.mode === 'blackhole';
    this.mode = undefined;
    if (wasBlackhole) {
      // Connections that lost bytes in the black hole cannot be trusted again.
      for (const socket of this.sockets) socket.destroy();
    } else if (!this.server) {
      await this.start(this.port);
    }
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await this.closeServer();
  }
}
