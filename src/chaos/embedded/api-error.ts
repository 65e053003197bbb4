/** An error the Toxiproxy-compatible API answers with: `{"error":message,"status":status}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Toxiproxy's fixed messages (pkg errors in the Go server), so every caller spells them identically. */
export const apiErrors = {
  badRequestBody: (detail: string) => new ApiError(400, `bad request body: ${detail}`),
  missingField: (field: string) => new ApiError(400, `missing required field: ${field}`),
  proxyNotFound: () => new ApiError(404, 'proxy not found'),
  proxyExists: () => new ApiError(409, 'proxy already exists'),
  invalidStream: () => new ApiError(400, 'stream was invalid, can be either upstream or downstream'),
  invalidToxicType: () => new ApiError(400, 'invalid toxic type'),
  toxicExists: () => new ApiError(409, 'toxic already exists'),
  toxicNotFound: () => new ApiError(404, 'toxic not found'),
  /** Raw Go error text (bind, resolve) is answered as 500, as Toxiproxy does. */
  internal: (message: string) => new ApiError(500, message),
} as const;
