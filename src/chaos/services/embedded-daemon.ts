import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../cli/serve-relaunch.js';
import { GeoctlError } from '../../errors.js';
import { ensureDir } from '../../state/state-dir.js';
import { ToxiproxyDriver } from '../toxiproxy-driver.js';

/**
 * `toxiproxy: embedded` in a topology: geoctl runs `geoctl toxiproxy serve` as a background process that
 * outlives the command, one per state directory (like one Toxiproxy server per environment), and records its
 * address and pid there so later commands find it. One per topology file would not do: two files describing
 * the same regions (a scenario's and the working directory's) would start two servers fighting over the same
 * listen ports. A record whose server no longer answers is stale and is removed.
 */
export interface EmbeddedRecord {
  pid: number;
  url: string;
  topology: string;
  startedAt: number;
  log: string;
}

const binPath = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
const START_TIMEOUT_MS = 15_000;

function recordPath(dir: string): string {
  return join(dir, 'embedded', 'server.json');
}

/** The running embedded server of this state directory, or undefined (after removing a stale record). */
export async function findEmbedded(dir: string): Promise<EmbeddedRecord | undefined> {
  const file = recordPath(dir);
  let record: EmbeddedRecord;
  try {
    record = JSON.parse(await readFile(file, 'utf8')) as EmbeddedRecord;
  } catch {
    return undefined;
  }
  if (isAlive(record.pid) && (await answers(record.url))) return record;
  await rm(file, { force: true });
  return undefined;
}

export async function startEmbedded(dir: string, topologyFile: string): Promise<EmbeddedRecord> {
  const embeddedDir = await ensureDir(join(dir, 'embedded'));
  const file = recordPath(dir);
  const log = file.replace(/\.json$/, '.log');
  const logHandle = await open(log, 'a', 0o600);
  const child = spawn(
    process.execPath,
    [...SERVER_NODE_FLAGS, binPath, 'toxiproxy', 'serve', '--port', '0', '--json'],
    {
      detached: true,
      stdio: ['ignore', logHandle.fd, logHandle.fd, 'ipc'],
      cwd: embeddedDir,
      env: { ...process.env, GEOCTL_DAEMON: '1' },
    },
  );
  await logHandle.close();
  try {
    const url = await waitForListening(child, log);
    const record: EmbeddedRecord = {
      pid: child.pid!,
      url,
      topology: topologyFile,
      startedAt: Date.now(),
      log,
    };
    await writeFile(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    return record;
  } finally {
    if (child.connected) child.disconnect();
    child.unref();
  }
}

/** Stops the embedded server of this state directory; its record if one was running. */
export async function stopEmbedded(dir: string): Promise<EmbeddedRecord | undefined> {
  const record = await findEmbedded(dir);
  if (!record) return undefined;
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (isAlive(record.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  if (isAlive(record.pid)) process.kill(record.pid, 'SIGKILL');
  await rm(recordPath(dir), { force: true });
  return record;
}

async function waitForListening(child: ReturnType<typeof spawn>, log: string): Promise<string> {
  const failed = (reason: string): GeoctlError =>
    new GeoctlError('E_TOXIPROXY_UNREACHABLE', `could not start the embedded Toxiproxy server: ${reason}`, {
      hint: `Its output is in ${log}.`,
    });
  const timeout = AbortSignal.timeout(START_TIMEOUT_MS);
  const message = once(child, 'message', { signal: timeout }).then(
    ([m]) => m as { event?: string; url?: string },
  );
  const exit = once(child, 'exit', { signal: timeout }).then(([code]) => {
    throw failed(`it exited with code ${String(code)}`);
  });
  try {
    const ready = await Promise.race([message, exit]);
    if (ready.event !== 'listening' || !ready.url)
      throw failed(`unexpected message ${JSON.stringify(ready)}`);
    return ready.url;
  } catch (error) {
    if (error instanceof GeoctlError) throw error;
    child.kill('SIGKILL');
    throw failed(`no answer within ${START_TIMEOUT_MS / 1000}s`);
  } finally {
    exit.catch(() => undefined);
    message.catch(() => undefined);
  }
}

/** Signal 0 also succeeds on a zombie (a reparented daemon lingers as one for a second or two after exit). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs (macOS): trust signal 0
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    await new ToxiproxyDriver(url, { timeoutMs: 1_000 }).version();
    return true;
  } catch {
    return false;
  }
}
