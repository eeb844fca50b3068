/**
 * Reading a raw pipe fd as a `ReadableStream`, with `read(2)` on Deno's blocking thread pool.
 *
 * @module
 */

import { libc } from "./_libc.ts";

/** Bytes per read; also the largest chunk the stream yields. */
const CHUNK_BYTES = 64 * 1024;

/**
 * A stream over the read end of a pipe; the fd is closed at EOF or on cancel. A `-1` from
 * `read` ends the stream (errno of a pool thread is not observable from JS).
 */
export function pipeReadable(fd: number): ReadableStream<Uint8Array> {
  let closed = false;
  const close = () => {
    if (!closed) libc().close(fd);
    closed = true;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buf = new Uint8Array(CHUNK_BYTES);
      const n = Number(await libc().read(fd, buf, BigInt(buf.length)));
      if (n <= 0) {
        close();
        controller.close();
        return;
      }
      controller.enqueue(buf.subarray(0, n));
    },
    cancel: close,
  });
}
