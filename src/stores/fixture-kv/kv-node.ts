import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { splitHostPort } from '../../chaos/embedded/net-address.js';
import type { Topology } from '../../topology/topology.js';
import type { TruthRecorder } from './ground-truth.js';
import { formatHlc, HybridClock } from './hlc.js';
import { KvState } from './kv-state.js';
import { dotKey, type Frame, type KvOptions, type WriteEntry } from './kv-types.js';
import { LinkDialer, UPGRADE_PROTOCOL } from './link-dialer.js';
import { PeerConnection } from './peer-connection.js';

const MAX_BODY_BYTES = 1 << 20;

interface PendingAck {
  regions: Set<string>;
  done: (ok: boolean) => void;
}

/**
 * One region of the fixture store: an HTTP key-value API on the region's client upstream address, and
 * replication with the other regions only through the topology's link proxies (dialling the links this
 * region is `from`, accepting the others on the same port). Writes flood through the link graph, so a
 * region with no direct link still gets them through a neighbour.
 */
export class KvNode {
  readonly state: KvState;
  term = 0;
  primary: string | undefined;
  private readonly clock: HybridClock;
  private readonly peers = new Set<PeerConnection>();
  private readonly dialers: LinkDialer[] = [];
  private readonly lastHeard = new Map<string, number>();
  private readonly seenHeartbeats = new Map<string, number>();
  private readonly seenApplied = new Set<string>();
  private readonly waiting = new Map<string, PendingAck>();
  private fence: { region: string; seq: number; term: number } | undefined;
  private seq = 0;
  private server: Server | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly startedAt: number;
  private readonly regionCount: number;

  constructor(
    readonly region: string,
    private readonly topology: Topology,
    private readonly options: KvOptions,
    private readonly truth: TruthRecorder,
    private readonly now: () => number = Date.now,
  ) {
    this.clock = new HybridClock(region, now);
    this.state = new KvState(options.mode === 'primary' ? 'lww' : options.conflicts);
    this.regionCount = topology.regions.length;
    if (options.mode === 'primary') {
      this.primary = options.primary ?? topology.regions[0]!.name;
      this.term = 1;
    }
    this.startedAt = now();
    for (const r of topology.regions) this.lastHeard.set(r.name, this.startedAt);
  }

  get address(): string {
    return this.topology.regions.find((r) => r.name === this.region)!.client.upstream;
  }

  get isPrimary(): boolean {
    return this.options.mode === 'active-active' || this.primary === this.region;
  }

  /** The origin key of this region's writes: per term in primary mode, so a new term never reuses a dot. */
  private get origin(): string {
    return this.options.mode === 'primary' ? `${this.region}@${this.term}` : this.region;
  }

  async start(): Promise<void> {
    const target = splitHostPort(this.address);
    if (typeof target === 'string') throw new Error(target);
    const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => this.handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.accept(req, socket, head),
    );
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(target.port, target.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    for (const link of this.topology.links.filter((l) => l.from === this.region)) {
      const dialer = new LinkDialer(link.listen, this.region, (socket, rest) => this.attach(socket, rest));
      this.dialers.push(dialer);
      dialer.start();
    }
    this.heartbeat = setInterval(() => this.tick(), this.options.heartbeatMs);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const dialer of this.dialers) dialer.stop();
    for (const peer of this.peers) peer.close();
    for (const pending of this.waiting.values()) pending.done(false);
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accepts a write in this region: ok (with its id and version), not-primary, or a sync timeout. */
  async write(
    key: string,
    value: string,
  ): Promise<{ status: 'ok' | 'not-primary' | 'timeout'; id?: string; version?: string }> {
    if (!this.isPrimary) return { status: 'not-primary' };
    const entry: WriteEntry = {
      origin: this.origin,
      seq: ++this.seq,
      key,
      value,
      hlc: this.clock.tick(),
      term: this.term,
      supersedes: this.state.currentDots(key),
    };
    const id = dotKey(entry);
    this.truth.started(entry, key, value);
    this.applyEntries(this.state.apply(entry), undefined);
    const result = { id, version: formatHlc(entry.hlc) };
    if (this.options.ack === 'sync' && !(await this.quorum(id))) return { status: 'timeout', ...result };
    this.truth.acked(id);
    return { status: 'ok', ...result };
  }

  private quorum(id: string): Promise<boolean> {
    const needed = Math.floor(this.regionCount / 2) + 1;
    if (needed <= 1) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), this.options.syncTimeoutMs);
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(ok);
      };
      this.waiting.set(id, {
        regions: new Set([this.region]),
        done: finish,
      });
    });
  }

  // --- HTTP API -------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const reply = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (url.pathname.startsWith('/kv/')) {
      const key = decodeURIComponent(url.pathname.slice(4));
      if (key === '') return reply(400, { error: 'empty key' });
      if (req.method === 'GET') return this.handleRead(key, reply);
      if (req.method === 'PUT' || req.method === 'POST') return void this.handleWrite(req, key, reply);
      return reply(405, { error: 'use GET or PUT' });
    }
    if (url.pathname === '/_fixture/status' && req.method === 'GET') return reply(200, this.status());
    if (url.pathname === '/_fixture/truth' && req.method === 'GET' && this.options.exposeTruth)
      return reply(200, this.truth.snapshot());
    if (req.method === 'HEAD' || url.pathname === '/')
      return reply(200, { region: this.region, store: 'geoctl fixture kv' });
    reply(404, { error: 'not found' });
  }

  private handleRead(key: string, reply: (status: number, body: unknown) => void): void {
    const read = this.state.read(key);
    if (read.kind === 'absent') return reply(404, { error: 'absent', region: this.region });
    if (read.kind === 'value')
      return reply(200, { value: read.value, version: read.version, region: this.region });
    reply(300, { siblings: read.values, region: this.region });
  }

  private async handleWrite(
    req: IncomingMessage,
    key: string,
    reply: (status: number, body: unknown) => void,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return reply(413, { error: 'value larger than 1 MiB' });
      chunks.push(chunk);
    }
    const result = await this.write(key, Buffer.concat(chunks).toString('utf8'));
    if (result.status === 'not-primary')
      return reply(503, { error: 'not the primary', region: this.region, primary: this.primary });
    if (result.status === 'timeout')
      return reply(504, { error: 'no quorum within the sync timeout; the write may still apply', ...result });
    reply(200, { ok: true, id: result.id, version: result.version, region: this.region });
  }

  status(): Record<string, unknown> {
    return {
      region: this.region,
      mode: this.options.mode,
      role: this.options.mode === 'primary' ? (this.isPrimary ? 'primary' : 'replica') : 'active',
      term: this.term,
      primary: this.primary,
      writes: this.state.size,
      versionVector: this.state.versionVector(),
      peers: [...this.peers].filter((p) => p.isOpen).map((p) => p.region ?? '?'),
    };
  }

  // --- replication ------------------------------------------------------------------------------------

  private accept(req: IncomingMessage, socket: Socket, head: Buffer): void {
    if (req.url !== '/_fixture/replicate' || req.headers.upgrade !== UPGRADE_PROTOCOL) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${UPGRADE_PROTOCOL}\r\n\r\n`,
    );
    this.attach(socket, head);
  }

  private attach(socket: Socket, rest: Buffer): void {
    const peer = new PeerConnection(
      socket,
      { batchMs: this.options.batchMs, idleMs: this.options.peerTimeoutMs },
      (p, frame) => this.receive(p, frame),
      (p) => this.peers.delete(p),
      rest,
    );
    this.peers.add(peer);
    peer.send({
      t: 'hello',
      region: this.region,
      vv: this.state.versionVector(),
      term: this.term,
      primary: this.primary,
    });
  }

  private receive(from: PeerConnection, frame: Frame): void {
    switch (frame.t) {
      case 'hello':
        from.region = frame.region;
        this.heard(frame.region);
        this.adoptTerm(frame.term, frame.primary, undefined);
        for (const entry of this.state.missingFor(frame.vv)) from.send({ t: 'w', e: entry });
        break;
      case 'w':
        this.clock.observe(frame.e.hlc);
        this.applyEntries(this.state.apply(frame.e), from);
        break;
      case 'applied':
        this.onApplied(frame, from);
        break;
      case 'hb': {
        const key = frame.region;
        if ((this.seenHeartbeats.get(key) ?? -1) >= frame.at || frame.region === this.region) return;
        this.seenHeartbeats.set(key, frame.at);
        this.heard(frame.region, frame.vv);
        this.adoptTerm(frame.term, frame.primary, frame.fence);
        this.broadcast(frame, from);
        break;
      }
    }
  }

  private applyEntries(applied: WriteEntry[], from: PeerConnection | undefined): void {
    for (const entry of applied) {
      const id = dotKey(entry);
      this.truth.applied(id, this.region);
      this.broadcast({ t: 'w', e: entry }, from);
      if (this.options.ack === 'sync' && from !== undefined) {
        this.onApplied({ t: 'applied', dot: id, origin: entry.origin, region: this.region }, undefined);
      }
    }
  }

  /** Sync acks travel back to the write's region through the same flooding as writes. */
  private onApplied(frame: Extract<Frame, { t: 'applied' }>, from: PeerConnection | undefined): void {
    const seen = `${frame.dot}|${frame.region}`;
    if (this.seenApplied.has(seen)) return;
    this.seenApplied.add(seen);
    const pending = this.waiting.get(frame.dot);
    if (pending) {
      pending.regions.add(frame.region);
      if (pending.regions.size >= Math.floor(this.regionCount / 2) + 1) pending.done(true);
      return;
    }
    if (frame.origin !== this.origin) this.broadcast(frame, from);
  }

  private broadcast(frame: Frame, except: PeerConnection | undefined): void {
    for (const peer of this.peers) if (peer !== except) peer.send(frame);
  }

  private heard(region: string, vv?: Record<string, number>): void {
    this.lastHeard.set(region, this.now());
    if (vv) this.peerVv.set(region, vv);
  }

  private readonly peerVv = new Map<string, Record<string, number>>();

  private tick(): void {
    const at = this.now();
    this.broadcast(
      {
        t: 'hb',
        region: this.region,
        at,
        term: this.term,
        primary: this.primary,
        vv: this.state.versionVector(),
        fence: this.fence,
      },
      undefined,
    );
    if (this.options.mode === 'primary') this.maybeElect(at);
  }

  /**
   * Failover: when the primary has been silent for failoverAfterMs, the reachable regions (if they are a
   * majority) agree on the one that holds most of the old primary's writes (ties: topology order), which
   * promotes itself with a new term and fences the old primary's later writes.
   */
  private maybeElect(now: number): void {
    if (this.isPrimary || this.primary === undefined) return;
    const silentFor = now - (this.lastHeard.get(this.primary) ?? this.startedAt);
    if (silentFor < this.options.failoverAfterMs) return;
    const reachable = this.topology.regions
      .map((r) => r.name)
      .filter(
        (name) =>
          name !== this.primary &&
          (name === this.region || now - (this.lastHeard.get(name) ?? 0) < this.options.failoverAfterMs),
      );
    if (reachable.length < Math.floor(this.regionCount / 2) + 1) return;
    const oldOrigin = `${this.primary}@${this.term}`;
    const progress = (name: string): number =>
      name === this.region ? this.state.has(oldOrigin) : (this.peerVv.get(name)?.[oldOrigin] ?? 0);
    const best = [...reachable].sort((a, b) => progress(b) - progress(a))[0];
    if (best !== this.region) return;
    const fence = { region: oldOrigin, seq: this.state.has(oldOrigin), term: this.term + 1 };
    this.truth.failover({ from: this.primary, to: this.region, term: fence.term, fencedAfterSeq: fence.seq });
    this.term = fence.term;
    this.primary = this.region;
    this.seq = 0;
    this.fence = fence;
    this.applyFence(fence);
  }

  private adoptTerm(term: number, primary: string | undefined, fence: KvNode['fence']): void {
    if (this.options.mode !== 'primary' || primary === undefined) return;
    if (term < this.term) return;
    if (term === this.term && primary === this.primary) {
      if (fence) this.applyFence(fence);
      return;
    }
    // Two primaries in one term (partitioned elections): the earlier region in topology order keeps it.
    if (term === this.term && this.primary !== undefined && this.order(this.primary) < this.order(primary))
      return;
    this.term = term;
    this.primary = primary;
    this.fence = fence;
    this.lastHeard.set(primary, this.now());
    if (fence) this.applyFence(fence);
  }

  private applyFence(fence: NonNullable<KvNode['fence']>): void {
    for (const removed of this.state.fence(fence.region, fence.seq))
      this.truth.discarded(dotKey(removed), this.region);
  }

  private order(region: string): number {
    return this.topology.regions.findIndex((r) => r.name === region);
  }
}
