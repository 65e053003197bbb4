import type { ToxicStub } from '../toxic-stub.js';

/** Go integer types of toxic attributes; they decide JSON decoding errors and accepted ranges. */
export type AttributeKind = 'int' | 'int64';

export type Attributes = Record<string, number>;

/**
 * One toxic type, registered by name. `pipe` moves chunks from `stub.next()` to `stub.emit()` until the
 * input ends (then `stub.close()`) or the stub is interrupted (then return, keeping data in order).
 */
export interface ToxicType {
  readonly name: string;
  /** Go struct name, used in Toxiproxy-compatible decoding errors ("Go struct field LatencyToxic.…"). */
  readonly goStruct: string;
  /** Attribute names in the order Toxiproxy emits them. */
  readonly attributes: Readonly<Record<string, AttributeKind>>;
  /** Extra validation where the official server crashes or stalls; returns a message for a 400. */
  validate?(attributes: Attributes): string | undefined;
  /** Per-connection state kept across restarts of the toxic. */
  newState?(): unknown;
  /** Called when the toxic is removed from a live connection, after it was interrupted. */
  cleanup?(stub: ToxicStub): void;
  /** Bytes one connection's stub may hold queued before the source is paused (Toxiproxy's BufferSize). */
  readonly bufferBytes?: number;
  /** When true, connections accepted while this toxic exists close with RST (SO_LINGER 0). */
  readonly resetsConnections?: boolean;
  pipe(stub: ToxicStub, attributes: Attributes): Promise<void>;
}
