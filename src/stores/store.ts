/**
 * What probes need from a multi-region store, and nothing more. Every operation's outcome is ok, fail or
 * indeterminate (Jepsen's ok/fail/info): a timed-out write may or may not have been applied, and counting
 * it as either would make lost-write and staleness figures lie.
 */
export type Outcome<T> =
  | { status: 'ok'; value: T }
  | { status: 'fail'; error: string; code?: string | undefined }
  | { status: 'indeterminate'; error: string; code?: string | undefined };

export interface WriteAck {
  /** The store's version for the write, where it has one (an HLC, an LSN, a revision). */
  version?: string | undefined;
  /**
   * Where the write went, for stores that route every write to one primary: that region's name, or the
   * primary's own host:port when no region's client endpoint leads to it (reached outside the proxies).
   */
  via?: string | undefined;
}

export type ReadValue =
  | { kind: 'value'; value: string; version?: string | undefined }
  | { kind: 'absent' }
  | { kind: 'siblings'; values: string[] };

export interface OperationOptions {
  /** Give up after this long: a read becomes a fail, a write indeterminate. */
  timeoutMs?: number;
}

export interface Store {
  /** The regions it can reach, by topology name. */
  readonly regions: readonly string[];
  write(region: string, key: string, value: string, options?: OperationOptions): Promise<Outcome<WriteAck>>;
  read(region: string, key: string, options?: OperationOptions): Promise<Outcome<ReadValue>>;
  close(): Promise<void>;
  /**
   * Stores with one writable region: which one it is now (probes write there by default). Undefined when
   * every region takes writes or the store cannot tell.
   */
  primaryRegion?(): Promise<string | undefined>;
}

export const ok = <T>(value: T): Outcome<T> => ({ status: 'ok', value });
export const fail = (error: string, code?: string): Outcome<never> => ({ status: 'fail', error, code });
export const indeterminate = (error: string, code?: string): Outcome<never> => ({
  status: 'indeterminate',
  error,
  code,
});
