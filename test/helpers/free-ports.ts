/** Distinct ports free on 127.0.0.1 right now, below the ephemeral range (see src/topology/free-ports.ts). */
export { freeLoopbackPorts as freePorts } from '../../src/topology/free-ports.js';
