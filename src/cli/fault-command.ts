import { parseDuration } from '../chaos/faults/duration.js';
import { ExitCode } from '../errors.js';
import type { FaultRequest } from '../chaos/faults/fault.js';
import { GeoctlCommand } from './base-command.js';
import { renderFaultRun } from './presenters/fault-report.js';
import { overallVerdict } from './presenters/verification-table.js';
import { runFault, type FaultRunResult } from './run-fault.js';
import { openTopology, type TopologyContext } from './topology-context.js';

export type FaultCommandResult = FaultRunResult & { verdict: ReturnType<typeof overallVerdict> };

/** Exit statuses after a signal, as shells report them (128 + signal number), after the fault was healed. */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** partition, isolate, latency and bandwidth: build a request from the arguments, then this. */
export abstract class FaultCommand extends GeoctlCommand {
  protected async inject(
    flags: { config?: string; 'toxiproxy-url'?: string; for?: string; detach?: boolean; verify: boolean },
    buildRequest: (ctx: TopologyContext) => FaultRequest,
  ): Promise<FaultCommandResult> {
    const forMs = flags.for === undefined ? undefined : parseDuration(flags.for, '--for');
    const ctx = await openTopology(flags);
    const request = buildRequest(ctx);
    const result = await runFault(
      ctx,
      request,
      { forMs, detach: flags.detach === true, verify: flags.verify },
      { note: (m) => this.note(m), interactive: !this.jsonEnabled() && process.stderr.isTTY === true },
    );
    const verdict = overallVerdict(result.verification);
    if (!this.jsonEnabled()) this.log(await renderFaultRun(result));
    if (verdict === 'failed') {
      process.exitCode = ExitCode.expectationFailed;
      this.note(
        `The check found the fault did not take effect on every link (see above); exit code ${ExitCode.expectationFailed}.`,
      );
    }
    if (result.interruptedBy) process.exitCode = SIGNAL_EXIT[result.interruptedBy] ?? ExitCode.toolError;
    return { ...result, verdict };
  }
}
