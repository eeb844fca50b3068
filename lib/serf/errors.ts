/**
 * Named errors of the serf layer. Callers classify with `instanceof`, never by message text.
 *
 * @module
 */

/** Base class of every operating error the serf layer throws. */
export class SerfError extends Error {
  /** Creates the error; `options.cause` keeps the underlying one. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SerfError";
  }
}

/** Bytes from the network are not a valid serf message. The shell counts, logs at debug, drops. */
export class SerfDecodeError extends SerfError {
  /** Creates the error; `options.cause` keeps the underlying one. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SerfDecodeError";
  }
}

/** A Lamport time does not fit in a JS number (above 2^53 - 1). */
export class LamportOverflowError extends SerfError {
  /** The refused value. */
  readonly value: number | bigint;
  /** Creates the error; `options.cause` keeps the underlying one. */
  constructor(value: number | bigint) {
    super(`Cannot use Lamport time ${value}: above 2^53 - 1, which shoal does not support`);
    this.name = "LamportOverflowError";
    this.value = value;
  }
}

/** A message, tag set, event, query or response is larger than its limit. */
export class SizeLimitError extends SerfError {
  /** What was too large (`tags`, `user event`, `query`, `query response`). */
  readonly what: string;
  /** Its size in bytes. */
  readonly sizeBytes: number;
  /** The limit in bytes. */
  readonly limitBytes: number;
  /** Creates the error; `options.cause` keeps the underlying one. */
  constructor(what: string, sizeBytes: number, limitBytes: number) {
    super(`Cannot send ${what}: ${sizeBytes} bytes exceeds the limit of ${limitBytes} bytes`);
    this.name = "SizeLimitError";
    this.what = what;
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** A query response was refused: already answered, or past the deadline. */
export class QueryResponseError extends SerfError {
  /** Creates the error; `options.cause` keeps the underlying one. */
  constructor(message: string) {
    super(message);
    this.name = "QueryResponseError";
  }
}

/** The operation is not possible in the current serf state (shut down, leaving, ...). */
export class SerfStateError extends SerfError {
  /** Creates the error; `options.cause` keeps the underlying one. */
  constructor(message: string) {
    super(message);
    this.name = "SerfStateError";
  }
}

/** A snapshot file line could not be understood. */
export class SnapshotError extends SerfError {
  /** Creates the error; `options.cause` keeps the underlying one. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SnapshotError";
  }
}
