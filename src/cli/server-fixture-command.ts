import { GeoctlCommand } from './base-command.js';
import type { waitForShutdownSignal } from './signals.js';

/** What `geoctl fixture redis|postgres` run in the foreground: real servers under one process. */
export interface RunningServerFixture {
  dir: string;
  /** Rejects when a server dies while the fixture runs. */
  failed: Promise<never>;
  close(): Promise<void>;
}

/**
 * The foreground life of a real-server fixture command: run until SIGINT or SIGTERM (then stop everything
 * and say so) or until a server dies (then stop the rest and fail with its error).
 */
export abstract class ServerFixtureCommand extends GeoctlCommand {
  protected async serveUntilStopped(
    shutdown: ReturnType<typeof waitForShutdownSignal>,
    fixture: RunningServerFixture,
  ): Promise<void> {
    let signal: NodeJS.Signals;
    try {
      signal = await Promise.race([shutdown.promise, fixture.failed]);
    } catch (error) {
      shutdown.cancel();
      await fixture.close();
      throw error;
    }
    await fixture.close();
    if (this.jsonEnabled()) this.emitJsonLine({ event: 'stopped', signal });
    else this.note(`stopped (${signal}); ${fixture.dir} removed`);
  }
}
