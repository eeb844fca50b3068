/**
 * What the supervisor and the roles take from the process they run in: its environment, the
 * signals it receives, its operating system, executable files on disk, and exiting. The
 * composition roots pass {@linkcode denoProcessHost}; tests and the simulation pass their own, so
 * nothing below the roots reaches for `Deno.*` itself (issue 15).
 *
 * @module
 */

/** The process's outside world, as the supervisor and the roles see it. */
export interface ProcessHost {
  /** The process's environment variables (a copy). */
  env(): Record<string, string>;
  /** Calls `handler` on each `signal` this process receives. */
  addSignalListener(signal: Deno.Signal, handler: () => void): void;
  /** Undoes {@linkcode addSignalListener}. */
  removeSignalListener(signal: Deno.Signal, handler: () => void): void;
  /** The operating system (`Deno.build.os` for the real one). */
  readonly os: string;
  /** True when `path` is a regular file with an execute bit (false when missing). */
  isExecutableFile(path: string): boolean;
  /** Ends the process with `code`. */
  exit(code: number): void;
}

/** The real process: `Deno.env`, `Deno.addSignalListener`, `Deno.build.os`, `Deno.statSync`, `Deno.exit`. */
export const denoProcessHost: ProcessHost = {
  env: () => Deno.env.toObject(),
  addSignalListener: (signal, handler) => Deno.addSignalListener(signal, handler),
  removeSignalListener: (signal, handler) => Deno.removeSignalListener(signal, handler),
  os: Deno.build.os,
  isExecutableFile(path) {
    try {
      const st = Deno.statSync(path);
      return st.isFile && ((st.mode ?? 0) & 0o111) !== 0;
    } catch (err) {
      const missing = err instanceof Deno.errors.NotFound ||
        err instanceof Deno.errors.NotADirectory;
      if (missing || err instanceof Deno.errors.PermissionDenied) return false;
      throw err;
    }
  },
  exit: (code) => Deno.exit(code),
};
