import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GeoctlError } from '../../../src/errors.js';
import { loadScenario } from '../../../src/scenario/load-scenario.js';
import { parseExpectation } from '../../../src/scenario/parse-expectation.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geoctl-scenario-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(text: string) {
  await writeFile(join(dir, 'game.yaml'), text);
  return loadScenario('game.yaml', dir, {});
}

async function problems(text: string): Promise<string[]> {
  const error = await load(text).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GeoctlError);
  expect((error as GeoctlError).code).toBe('E_CONFIG');
  expect((error as GeoctlError).hint).toMatch(/nothing was injected/);
  return (error as GeoctlError).message.split('\n');
}

describe('scenario files', () => {
  it('loads the shipped example', async () => {
    const scenario = await loadScenario('fixtures/scenarios/fixture-partition.yaml');
    expect(scenario.name).toBe('fixture-partition');
    expect(scenario.probes.map((p) => p.kind)).toEqual(['raw', 'lag', 'divergence']);
    expect(scenario.timeline.map((s) => s.kind)).toEqual([
      'phase',
      'wait',
      'phase',
      'fault',
      'phase',
      'fault',
      'phase',
      'wait',
    ]);
    expect(scenario.topology).toMatch(/fixtures\/topologies\/three-regions\.yaml$/);
    expect(scenario.expectations[0]).toMatchObject({
      metric: 'raw.eu-west.p99',
      operator: '<',
      threshold: 100,
      phase: 'baseline',
    });
  });

  it('lists every problem at once, with line and column, before anything runs', async () => {
    const lines = await problems(
      [
        'name: broken',
        'probes:',
        '  raw: { rate: fast, colour: red }',
        '  lagg: {}',
        'timeline:',
        '  - wait: soon',
        '  - fault: { partition: { between: [us-east] } }',
        '  - fault: { latency: { between: [us, eu], latency: 10parsecs } }',
        '  - heal: all',
        '    wait: 1s',
        'expect:',
        '  - raw.eu-west.p99 < 800ms during baseline',
        '  - failover.seconds < 30',
        '  - raw.eu-west.p99 is small',
      ].join('\n'),
    );
    expect(lines).toEqual([
      'game.yaml:3:16 probes.raw.rate: expected a whole number above 0, got "fast"',
      'game.yaml:3:22 probes.raw.colour: unknown key; expected one of "kind", "writer", "region", "timeout", "rate", "concurrency", "poll", "visibility-timeout"',
      'game.yaml:4:3 probes.lagg: unknown probe "lagg" (did you mean "lag"?); expected one of raw, lag, divergence, conflict, failover (or give kind:)',
      'game.yaml:6:11 timeline.0.wait: expected a duration such as 500ms, 10s or 1m, got "soon"',
      'game.yaml:7:36 timeline.1.fault.partition.between: expected two regions or groups, e.g. [us-east, eu-west] or "us-east,eu-west ap-south", got a list',
      'game.yaml:8:53 timeline.2.fault.latency.latency: expected a duration such as 500ms, 10s or 1m, got "10parsecs"',
      'game.yaml:9:5 timeline.3: expected exactly one of phase, wait, fault, heal, run in a step, got heal and wait',
      'game.yaml:12:5 expect.0: no phase "baseline" in the timeline; phases: none',
      'game.yaml:13:5 expect.1: failover.seconds needs a failover probe; add one under probes:',
      'game.yaml:14:5 expect.2: expected "<metric> <op> <value> [during <phase>]", e.g. "raw.eu-west.p99 < 800ms during baseline", got "raw.eu-west.p99 is small"',
    ]);
  });

  it('parses expectation units: durations, seconds for failover, ratios, counts', () => {
    expect(parseExpectation('failover.seconds < 30')).toMatchObject({ threshold: 30_000 });
    expect(parseExpectation('failover.seconds < 1.5s')).toMatchObject({ threshold: 1_500 });
    expect(parseExpectation('raw.eu.stale_ratio <= 5%')).toMatchObject({ threshold: 0.05 });
    expect(parseExpectation('rpo.lost_writes == 0')).toMatchObject({ threshold: 0, operator: '==' });
    expect(parseExpectation('divergence.converged_within < 10s after heal')).toMatchObject({
      threshold: 10_000,
    });
    expect(parseExpectation('rpo.lost_writes == 0.5')).toMatch(/whole number/);
    expect(parseExpectation('bogus.metric < 1')).toMatch(/unknown metric "bogus.metric"/);
  });
});
