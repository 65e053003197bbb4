import { freeLoopbackPorts } from '../../src/topology/free-ports.js';

/** Distinct ports free on 127.0.0.1 right now, below the ephemeral range (see src/topology/free-ports.ts). */
export const freePorts = (count: number): Promise<number[]> => freeLoopbackPorts(count);
