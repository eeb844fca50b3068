/**
 * Errors of the metrics layer.
 *
 * @module
 */

/**
 * A metric was defined or used against its definition: invalid or duplicate name, invalid label
 * name, missing or unknown label, negative counter increment. Always a programmer error.
 */
export class MetricDefinitionError extends Error {
  override readonly name = "MetricDefinitionError";
}

/** The metrics HTTP server could not listen on its address. */
export class MetricsServerError extends Error {
  override readonly name = "MetricsServerError";
  /** The address that was asked for, `host:port`. */
  readonly addr: string;

  /** Creates the error for `addr`; `cause` is the underlying bind error. */
  constructor(message: string, addr: string, options?: ErrorOptions) {
    super(message, options);
    this.addr = addr;
  }
}
