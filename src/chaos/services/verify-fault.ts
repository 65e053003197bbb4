import { checkLink, type LinkCheck, type LinkCheckOutcome } from '../link-check/check-link.js';
import type { LinkProtocol } from '../link-check/protocols.js';

export type VerificationVerdict = 'verified' | 'failed' | 'inconclusive' | 'skipped';

export interface TargetVerification {
  proxy: string;
  label: string;
  expected: string;
  check: LinkCheck;
  verdict: VerificationVerdict;
  note?: string;
}

export interface VerifyTarget {
  proxy: string;
  label: string;
  listen: string;
}

export type Expectation =
  | { kind: 'stopped'; outcome: LinkCheckOutcome }
  | { kind: 'flowing' }
  | { kind: 'slower'; minRoundTripMs: number };

const DEFAULT_TIMEOUT_MS = 1_000;

/**
 * Opens one probe connection through each target proxy and compares what it sees with what the fault (or
 * the heal) should do. Inconclusive is reported as such, never as success: with `protocol: tcp` geoctl
 * cannot tell a blackhole from an idle link, and a proxy that closes at once usually means its upstream
 * (the store) is down.
 */
export async function verifyTargets(
  targets: readonly VerifyTarget[],
  protocol: LinkProtocol,
  expectation: Expectation,
): Promise<TargetVerification[]> {
  const timeoutMs =
    expectation.kind === 'slower'
      ? Math.max(DEFAULT_TIMEOUT_MS, 2 * expectation.minRoundTripMs + 1_000)
      : DEFAULT_TIMEOUT_MS;
  return Promise.all(
    targets.map(async (target) => {
      const check = await checkLink(target.listen, protocol, timeoutMs);
      return { proxy: target.proxy, label: target.label, ...judge(check, expectation, protocol), check };
    }),
  );
}

function judge(
  check: LinkCheck,
  expectation: Expectation,
  protocol: LinkProtocol,
): { expected: string; verdict: VerificationVerdict; note?: string } {
  const outcome = check.outcome;
  if (outcome === 'closed' && expectation.kind !== 'stopped') {
    return {
      expected: 'an answer',
      verdict: 'inconclusive',
      note: 'the proxy closed the connection without an answer; is the store at its upstream running?',
    };
  }
  switch (expectation.kind) {
    case 'flowing':
      if (outcome === 'flowing') return { expected: 'traffic flows', verdict: 'verified' };
      if (outcome === 'connected')
        return { expected: 'traffic flows', verdict: 'inconclusive', note: connectOnly(protocol) };
      return { expected: 'traffic flows', verdict: 'failed', note: `the probe connection was ${outcome}` };
    case 'slower':
      if (outcome === 'connected')
        return {
          expected: `round trip ≥ ${expectation.minRoundTripMs}ms`,
          verdict: 'inconclusive',
          note: connectOnly(protocol),
        };
      if (outcome !== 'flowing')
        return {
          expected: `round trip ≥ ${expectation.minRoundTripMs}ms`,
          verdict: 'failed',
          note: `the probe connection was ${outcome}`,
        };
      return {
        expected: `round trip ≥ ${expectation.minRoundTripMs}ms`,
        verdict: (check.roundTripMs ?? 0) >= expectation.minRoundTripMs ? 'verified' : 'failed',
      };
    case 'stopped': {
      const expected =
        expectation.outcome === 'blocked' ? 'no answer (blackhole)' : `connection ${expectation.outcome}`;
      if (outcome === expectation.outcome) return { expected, verdict: 'verified' };
      if (outcome === 'connected') return { expected, verdict: 'inconclusive', note: connectOnly(protocol) };
      if (outcome === 'closed')
        return {
          expected,
          verdict: 'inconclusive',
          note: 'the proxy closed the connection at once; is the store at its upstream running?',
        };
      if (outcome === 'flowing')
        return { expected, verdict: 'failed', note: 'traffic still flows through the proxy' };
      // Blocked-vs-reset differences are still a stop, but not the one asked for.
      return { expected, verdict: 'failed', note: `the probe connection was ${outcome}` };
    }
  }
}

function connectOnly(protocol: LinkProtocol): string {
  return `protocol "${protocol.name}" only connects, which cannot show whether data flows; set \`protocol:\` in the topology (echo, redis, postgres, http)`;
}
