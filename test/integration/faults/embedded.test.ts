import { readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../../../src/cli/serve-relaunch.js';
import { runCli } from '../../helpers/cli.js';
import { alive } from '../../helpers/processes.js';
import { LINK_EU_US, useFaultFixture } from '../../helpers/topology-fixture.js';
import { waitFor } from '../../helpers/wait-for.js';

// `toxiproxy: embedded`: deploy starts geoctl's server as a background daemon. The fixture's close()
// runs `geoctl teardown` and kills the recorded pid, so a failed test never leaves the daemon behind.
const fixture = useFaultFixture({ toxiproxy: 'embedded' });

describe('toxiproxy: embedded, end to end', () => {
  it('deploy starts the daemon; partition, status and heal use it; teardown stops it', async () => {
    const f = fixture();
    expect((await f.geoctlJson(['status'])).server).toMatchObject({ kind: 'embedded', running: false });
    const fault = await f.geoctl(['partition', 'us', 'eu']);
    expect(fault.code).toBe(1);
    expect(fault.stderr).toContain('geoctl deploy');

    const deployed = await f.geoctlJson(['deploy']);
    expect(deployed.server.kind).toBe('embedded');
    const pid = deployed.server.pid!;
    expect(alive(pid)).toBe(true);
    // The daemon is the server itself (no launcher in between), started with the server's Node flags.
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(
      expect.arrayContaining([...SERVER_NODE_FLAGS, 'toxiproxy', 'serve']),
    );
    expect(await f.embeddedRecords()).toEqual([expect.objectContaining({ pid, url: deployed.url })]);
    expect(new Set(deployed.proxies.map((p: { action: string }) => p.action))).toEqual(new Set(['created']));
    f.toxiproxyUrl = deployed.url;

    // A second deploy reuses the running daemon.
    const again = await f.geoctlJson(['deploy']);
    expect(again.server.pid).toBe(pid);
    expect(new Set(again.proxies.map((p: { action: string }) => p.action))).toEqual(new Set(['unchanged']));

    // Another file naming the same regions (a scenario's topology, say) shares the server rather than
    // starting a second one that would fight over the same listen ports.
    const copy = join(f.dir, 'copy-of-geoctl.yaml');
    await copyFile(f.configFile, copy);
    const viaCopy = await runCli(['deploy', '--config', copy, '--json'], f.env);
    expect(viaCopy.code, viaCopy.stderr).toBe(0);
    const copied = JSON.parse(viaCopy.stdout) as typeof again;
    expect(copied.server.pid).toBe(pid);
    expect(new Set(copied.proxies.map((p: { action: string }) => p.action))).toEqual(new Set(['unchanged']));
    expect(await f.embeddedRecords()).toHaveLength(1);

    const status = await f.geoctlJson(['status']);
    expect(status.server).toMatchObject({ kind: 'embedded', running: true, pid, url: deployed.url });
    expect(status.server.version).toEqual(expect.any(String));
    expect(status.proxies.every((p: { condition: string }) => p.condition === 'ok')).toBe(true);

    const link = await f.tcp.connect(f.linkPort.euUs);
    await link.roundTrip('through the daemon\n');

    const partition = await f.geoctlJson(['partition', 'us', 'eu']);
    expect(partition.verdict).toBe('verified');
    expect((await f.proxies())[LINK_EU_US]!.toxics).toHaveLength(2);
    const faulted = await f.geoctlJson(['status']);
    expect(faulted.faults.map((x) => [x.id, x.summary])).toEqual([
      [partition.fault.id, partition.fault.summary],
    ]);
    const human = await f.geoctl(['status']);
    expect(human.stdout).toContain(`(pid ${pid})`);
    expect(human.stdout).toContain(partition.fault.id);

    const healed = await f.geoctlJson(['heal']);
    expect(healed.faults).toEqual([partition.fault.id]);
    expect(healed.verdict).toBe('verified');
    expect(await f.toxicNames()).toEqual([]);

    const teardown = await f.geoctlJson(['teardown']);
    expect(teardown.stoppedEmbedded).toEqual({ pid });
    expect(teardown.deleted).toHaveLength(5);
    await waitFor('the daemon to exit', async () => !alive(pid), 5_000);
    expect(await f.embeddedRecords()).toEqual([]);
    expect(await f.tcp.connectOutcome(f.linkPort.euUs)).toBe('ECONNREFUSED');
    const after = await f.geoctlJson(['status']);
    expect(after.server).toMatchObject({ kind: 'embedded', running: false });
    expect(after.server.pid).toBeUndefined();
  });
});
