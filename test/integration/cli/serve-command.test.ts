import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { SERVER_NODE_FLAGS } from '../../../src/cli/serve-relaunch.js';
import { killAllCli, runCli, spawnCli } from '../../helpers/cli.js';
import { alive } from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait-for.js';

afterEach(() => killAllCli());

async function listenOnFreePort(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

async function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

function hasChrt(): boolean {
  return spawnSync('chrt', ['--help']).status === 0;
}

interface ThreadStat {
  tid: number;
  nice: number;
  policy: number;
  cpuTicks: number;
}

/** The threads of `pid` from /proc: id, nice value, scheduling policy and CPU ticks used (utime + stime). */
function threadsOf(pid: number): Map<number, ThreadStat> {
  const threads = new Map<number, ThreadStat>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after "pid (comm) ": state is [0], utime [11], stime [12], nice [16], policy [38].
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      threads.set(Number(tid), {
        tid: Number(tid),
        nice: Number(fields[16]),
        policy: Number(fields[38]),
        cpuTicks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // exited since the listing
    }
  }
  return threads;
}

describe('geoctl toxiproxy serve (subprocess)', () => {
  it('reports where it listens, answers the API, and closes everything on SIGTERM', async () => {
    const cli = spawnCli(['toxiproxy', 'serve', '--port', '0', '--json']);
    const ready = JSON.parse(await cli.nextLine()) as { event: string; url: string };
    expect(ready.event).toBe('listening');
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const version = await fetch(`${ready.url}/version`);
    expect(await version.text()).toBe('{"version": "2.12.0"}\n');
    const created = await fetch(`${ready.url}/proxies`, {
      method: 'POST',
      body: JSON.stringify({ name: 'p', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }),
    });
    expect(created.status).toBe(201);
    const proxyPort = Number(((await created.json()) as { listen: string }).listen.split(':').pop());

    cli.child.kill('SIGTERM');
    const result = await cli.result();
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').pop()!)).toEqual({
      event: 'stopped',
      signal: 'SIGTERM',
    });
    expect(await refusesConnections(proxyPort)).toBe(true);
    expect(await refusesConnections(Number(new URL(ready.url).port))).toBe(true);
  });

  it('runs the server in a child process started with the server Node flags', async () => {
    const cli = spawnCli(['toxiproxy', 'serve', '--port', '0', '--json']);
    const ready = JSON.parse(await cli.nextLine()) as { url: string; pid: number };
    expect(ready.pid).not.toBe(cli.child.pid);
    const cmdline = readFileSync(`/proc/${ready.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toEqual(expect.arrayContaining([...SERVER_NODE_FLAGS, 'toxiproxy', 'serve']));
    cli.child.kill('SIGTERM');
    expect((await cli.result()).code).toBe(0);
    expect(alive(ready.pid)).toBe(false);
  });

  it('leaves its data-plane thread at normal priority and every other thread below it', async () => {
    const cli = spawnCli(['toxiproxy', 'serve', '--port', '0', '--json']);
    const ready = JSON.parse(await cli.nextLine()) as { url: string; pid: number };
    // Push bytes through a proxy so the data plane's thread is the one that used the CPU.
    const total = 256 << 20;
    let received = 0;
    let arrived!: () => void;
    const allArrived = new Promise<void>((resolve) => (arrived = resolve));
    const sink = createServer((socket) =>
      socket.on('data', (data: Buffer) => {
        received += data.length;
        if (received === total) arrived();
      }),
    );
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const created = await fetch(`${ready.url}/proxies`, {
      method: 'POST',
      body: JSON.stringify({ name: 'p', listen: '127.0.0.1:0', upstream: `127.0.0.1:${portOf(sink)}` }),
    });
    const proxyPort = Number(((await created.json()) as { listen: string }).listen.split(':').pop());
    const before = threadsOf(ready.pid);
    const client = connect(proxyPort, '127.0.0.1');
    const chunk = Buffer.alloc(1 << 20);
    for (let sent = 0; sent < total; sent += chunk.length)
      if (!client.write(chunk)) await new Promise((resolve) => client.once('drain', resolve));
    await allArrived;
    client.destroy();
    const after = threadsOf(ready.pid);
    sink.close();
    const busiest = [...after.values()].sort(
      (a, b) =>
        b.cpuTicks - (before.get(b.tid)?.cpuTicks ?? 0) - (a.cpuTicks - (before.get(a.tid)?.cpuTicks ?? 0)),
    )[0]!;
    expect(busiest.tid).not.toBe(ready.pid);
    expect(busiest).toMatchObject({ nice: 0, policy: SCHED_OTHER });
    // SCHED_IDLE where chrt (util-linux) can set it, as on CI; nice 19 in any case.
    const lowered = { nice: 19, policy: hasChrt() ? SCHED_IDLE : SCHED_OTHER };
    const others = [...after.values()].filter((t) => t.tid !== busiest.tid);
    expect(others.length).toBeGreaterThanOrEqual(5); // the main thread and V8's task runners at least
    for (const thread of others) expect(thread).toMatchObject(lowered);
    cli.child.kill('SIGTERM');
    expect((await cli.result()).code).toBe(0);
  });

  it('stops the server when geoctl itself is killed with SIGKILL', async () => {
    const cli = spawnCli(['toxiproxy', 'serve', '--port', '0', '--json']);
    const ready = JSON.parse(await cli.nextLine()) as { url: string; pid: number };
    try {
      expect(alive(ready.pid)).toBe(true);
      cli.child.kill('SIGKILL');
      await waitFor('the server to exit', () => !alive(ready.pid), 10_000);
      expect(alive(ready.pid)).toBe(false);
      expect(await refusesConnections(Number(new URL(ready.url).port))).toBe(true);
    } finally {
      if (alive(ready.pid)) process.kill(ready.pid, 'SIGKILL');
    }
  });

  it('stops cleanly on SIGINT (Ctrl-C) with a human message', async () => {
    const cli = spawnCli(['toxiproxy', 'serve', '--port', '0']);
    const line = await cli.nextLine();
    expect(line).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    cli.child.kill('SIGINT');
    const result = await cli.result();
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Stopped on SIGINT');
  });

  it('fails clearly, without a stack trace, when the API port is taken', async () => {
    const blocker = await listenOnFreePort();
    try {
      const result = await runCli(['toxiproxy', 'serve', '--port', String(portOf(blocker))]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`127.0.0.1:${portOf(blocker)}`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('rejects a bad flag value with a usage error (exit 2)', async () => {
    const result = await runCli(['toxiproxy', 'serve', '--port', 'eighty']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/port/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a missing config file with a usage error naming it', async () => {
    const result = await runCli([
      'toxiproxy',
      'serve',
      '--port',
      '0',
      '--config',
      '/nonexistent/proxies.json',
      '--json',
    ]);
    expect(result.code).toBe(2);
    const document = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    expect(document.error.code).toBe('E_CONFIG');
    expect(document.error.message).toContain('/nonexistent/proxies.json');
  });
});

describe('geoctl toxiproxy list (driver through the CLI)', () => {
  it('lists the proxies of a running server', async () => {
    const cli = spawnCli(['toxiproxy', 'serve', '--port', '0', '--json']);
    const { url } = JSON.parse(await cli.nextLine()) as { url: string };
    await fetch(`${url}/proxies`, {
      method: 'POST',
      body: JSON.stringify({ name: 'eu-to-us', listen: '127.0.0.1:0', upstream: '127.0.0.1:7001' }),
    });
    await fetch(`${url}/proxies/eu-to-us/toxics`, {
      method: 'POST',
      body: JSON.stringify({ type: 'latency', attributes: { latency: 120 } }),
    });
    const human = await runCli(['toxiproxy', 'list', '--toxiproxy-url', url]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('eu-to-us');
    expect(human.stdout).toContain('latency_downstream');

    const json = await runCli(['toxiproxy', 'list', '--json'], { TOXIPROXY_URL: url });
    const inventory = JSON.parse(json.stdout) as {
      version: string;
      proxies: Array<{ name: string; toxics: unknown[] }>;
    };
    expect(inventory.version).toBe('2.12.0');
    expect(inventory.proxies.map((p) => p.name)).toEqual(['eu-to-us']);
    expect(inventory.proxies[0]!.toxics).toHaveLength(1);
  });

  it('explains an unreachable Toxiproxy with the URL and a hint (exit 1)', async () => {
    const closed = await listenOnFreePort();
    const port = portOf(closed);
    await new Promise((resolve) => closed.close(resolve));
    const result = await runCli(['toxiproxy', 'list', '--toxiproxy-url', `http://127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no Toxiproxy answers at http://127.0.0.1:${port}`);
    expect(result.stderr).toContain('geoctl toxiproxy serve');
  });
});
