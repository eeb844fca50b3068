/**
 * The bytes a stream decoder has received and not yet consumed, in one resizable `ArrayBuffer`:
 * growing it commits pages in place (no copy into a larger buffer, no smaller one left for the
 * collector), every growth is reserved with the caller first (so a shared bound holds for what
 * is allocated, not only filled), and {@linkcode StreamBuffer.release} gives the pages back at
 * once. Consumed bytes are compacted away in place before growing: decoded messages copy their
 * bytes out (`slice`), none points into the buffer.
 *
 * @module
 */

/** See the module documentation. */
export class StreamBuffer {
  readonly #maxBytes: number;
  readonly #reserve: ((bytes: number) => void) | undefined;
  /** A length-tracking view of the resizable buffer. */
  readonly #buf: Uint8Array;
  #head = 0;
  #tail = 0;

  /** A buffer that may grow to `maxBytes`; `reserve(n)` is asked before each growth by `n`. */
  constructor(maxBytes: number, reserve?: (bytes: number) => void) {
    this.#maxBytes = maxBytes;
    this.#reserve = reserve;
    this.#buf = new Uint8Array(new ArrayBuffer(0, { maxByteLength: maxBytes }));
  }

  /** Bytes allocated (at least {@linkcode length}). */
  get allocated(): number {
    return this.#buf.length;
  }

  /** Bytes received and not consumed. */
  get length(): number {
    return this.#tail - this.#head;
  }

  /** Appends `chunk` (the caller keeps {@linkcode length} within `maxBytes`). */
  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#tail + chunk.length > this.#buf.length) {
      const live = this.length;
      const need = live + chunk.length;
      this.#buf.copyWithin(0, this.#head, this.#tail);
      this.#head = 0;
      this.#tail = live;
      if (need > this.#buf.length) {
        const size = Math.min(Math.max(2 * need, 4096), this.#maxBytes);
        this.#reserve?.(size - this.#buf.length);
        (this.#buf.buffer as ArrayBuffer).resize(size);
      }
    }
    this.#buf.set(chunk, this.#tail);
    this.#tail += chunk.length;
  }

  /** The unconsumed bytes (a view, valid until the next append). */
  avail(): Uint8Array {
    return this.#buf.subarray(this.#head, this.#tail);
  }

  /** Marks `n` bytes consumed. */
  consume(n: number): void {
    this.#head += n;
  }

  /** Gives the memory back at once (the buffer is empty and unusable afterwards). */
  release(): void {
    (this.#buf.buffer as ArrayBuffer).resize(0);
    this.#head = this.#tail = 0;
  }
}
