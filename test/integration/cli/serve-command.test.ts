import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SERVER_NODE_FLAGS } from '../../../src/cli/serve-relaunch.js';
import { killAllCli, runCli, spawnCli } from '../../helpers/cli.js';
import { alive, eventually } from '../../helpers/processes.js';

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

  it('stops the server when geoctl itself is killed with SIGKILL', async () => {
    const cli = spawnCli(['toxiproxy', 'serve', '--port', '0', '--json']);
    const ready = JSON.parse(await cli.nextLine()) as { url: string; pid: number };
    try {
      expect(alive(ready.pid)).toBe(true);
      cli.child.kill('SIGKILL');
      expect(await eventually(() => !alive(ready.pid), 10_000)).toBe(true);
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
