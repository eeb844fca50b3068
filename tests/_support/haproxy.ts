/**
 * Test helpers: a real `haproxy` on 127.0.0.1 ports with a temporary admin socket (the HTTP
 * upstreams behind it are in `upstream.ts`). Readiness is "`show info` answers", never a sleep.
 *
 * @module
 */

import { freePort } from "./ports.ts";
import { waitFor, withDeadline } from "./wait.ts";

export { waitFor, withDeadline };

/** A backend of the generated configuration; each gets a frontend on its own port. */
export interface BackendConfig {
  name: string;
  /** @default "roundrobin" */
  balance?: string;
  /** Extra lines inside the backend section. @default ["option httpchk GET /health"] */
  lines?: string[];
}

/** Options of {@linkcode HaproxyProcess.start}. */
export interface HaproxyOptions {
  /** Backends of the generated configuration. @default [{ name: "be_app" }] */
  backends?: BackendConfig[];
  /** Longest wait for the new process to answer `show info`. @default 10000 */
  readyTimeoutMs?: number;
  /** Prefix of the temporary directory's name. @default "shoal-haproxy-" */
  dirPrefix?: string;
  /** The HAProxy executable (another version's path). @default {@linkcode haproxyBinary} */
  binary?: string;
  /** Extra lines of the `global` section (`{dir}` stands for the temporary directory). */
  globalLines?: string[];
  /** Extra lines of the `defaults` section. */
  defaultsLines?: string[];
}

/**
 * The HAProxy the tests run: `$SHOAL_HAPROXY` when set, else `haproxy` from PATH. `.ci/run` runs
 * the HAProxy-dependent tests once per version by putting that version's folder first on PATH.
 * Every test that starts HAProxy names it through this function (`.ci/peer_tests.ts` finds the
 * HAProxy-dependent tests by it).
 */
export function haproxyBinary(): string {
  return Deno.env.get("SHOAL_HAPROXY") || "haproxy";
}

/** The version of {@linkcode haproxyBinary}, from `haproxy -v`. */
export interface HaproxyVersion {
  readonly major: number;
  readonly minor: number;
  /** For example `3.2.26-1`. */
  readonly text: string;
}

let versionCache: Promise<HaproxyVersion> | undefined;

/** Runs `haproxy -v` once and reads its version (fails with an install hint when missing). */
export function haproxyVersion(): Promise<HaproxyVersion> {
  versionCache ??= (async () => {
    let stdout = "";
    try {
      const out = await new Deno.Command(haproxyBinary(), { args: ["-v"], stderr: "null" })
        .output();
      if (out.success) stdout = new TextDecoder().decode(out.stdout);
    } catch {
      // reported below
    }
    const m = /^HA-?Proxy version ((\d+)\.(\d+)\S*)/m.exec(stdout);
    if (!m) {
      throw new Error(
        `The haproxy binary (2.6 or newer) is needed (${haproxyBinary()} -v failed): ` +
          "install it with `apt-get install haproxy`",
      );
    }
    return { text: m[1]!, major: Number(m[2]), minor: Number(m[3]) };
  })();
  return versionCache;
}

/** Fails with an install hint when the `haproxy` binary is missing. */
export async function requireHaproxy(): Promise<void> {
  await haproxyVersion();
}

/**
 * What a client sees when `shutdown sessions server` cuts its request: HAProxy 2.x answers 502,
 * 3.x closes the connection without a response. Compare with `getOutcome` (upstream.ts).
 */
export async function cutOutcome(): Promise<string> {
  return (await haproxyVersion()).major >= 3 ? "closed" : "502";
}

/** A real HAProxy process with a generated configuration. */
export class HaproxyProcess {
  readonly dir: string;
  readonly socketPath: string;
  /** Frontend port per backend name. */
  readonly ports: ReadonlyMap<string, number>;
  #child: Deno.ChildProcess | undefined;
  /** Processes replaced by {@linkcode reload} that may still be soft-stopping. */
  #old: Deno.ChildProcess[] = [];
  #stderr = "";
  #stderrDone: Promise<void> = Promise.resolve();

  readonly #readyTimeoutMs: number;
  readonly #binary: string;

  private constructor(
    dir: string,
    ports: Map<string, number>,
    readyTimeoutMs: number,
    binary: string,
  ) {
    this.dir = dir;
    this.socketPath = `${dir}/admin.sock`;
    this.ports = ports;
    this.#readyTimeoutMs = readyTimeoutMs;
    this.#binary = binary;
  }

  /** Writes a configuration, starts HAProxy and waits until `show info` answers. */
  static async start(options: HaproxyOptions = {}): Promise<HaproxyProcess> {
    await requireHaproxy();
    const dir = await Deno.makeTempDir({ prefix: options.dirPrefix ?? "shoal-haproxy-" });
    const backends = options.backends ?? [{ name: "be_app" }];
    const ports = new Map<string, number>();
    for (const b of backends) ports.set(b.name, freePort());
    const hap = new HaproxyProcess(
      dir,
      ports,
      options.readyTimeoutMs ?? 10_000,
      options.binary ?? haproxyBinary(),
    );
    try {
      await Deno.writeTextFile(`${dir}/haproxy.cfg`, hap.#config(backends, options));
      await hap.#spawn();
    } catch (error) {
      await hap.stop(); // kills a process that never became ready and removes the directory
      throw error;
    }
    return hap;
  }

  /** The frontend URL that routes to `backend`. */
  url(backend = "be_app", path = "/"): string {
    return `http://127.0.0.1:${this.ports.get(backend)}${path}`;
  }

  /** The running process id. */
  get pid(): number {
    if (!this.#child) throw new Error("haproxy is not running");
    return this.#child.pid;
  }

  /** Kills HAProxy (SIGKILL, as a crash) and starts a new process with the same configuration. */
  async restart(): Promise<void> {
    await this.#kill("SIGKILL");
    await this.#spawn();
  }

  /**
   * Reloads like `haproxy -sf <oldpid>`: a new process takes over the sockets and the old one
   * soft-stops (it lingers while CLI connections to it stay open). Resolves when a new connection
   * reaches the new process; the returned promise settles when the old process has exited.
   */
  async reload(): Promise<{ oldExited: Promise<Deno.CommandStatus> }> {
    const old = this.#child;
    if (!old) throw new Error("haproxy is not running");
    this.#old.push(old);
    await this.#spawn(["-sf", String(old.pid)]);
    return { oldExited: old.status };
  }

  /** Stops HAProxy and removes the temporary directory. */
  async stop(): Promise<void> {
    for (const old of this.#old.splice(0)) {
      try {
        old.kill("SIGKILL");
      } catch {
        // already exited
      }
      await old.status;
    }
    await this.#kill("SIGTERM");
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #config(backends: BackendConfig[], o: HaproxyOptions): string {
    const sections = backends.map((b) =>
      [
        `backend ${b.name}`,
        `  balance ${b.balance ?? "roundrobin"}`,
        ...(b.lines ?? ["option httpchk GET /health"]).map((l) => `  ${l}`),
        `frontend fe_${b.name}`,
        `  bind 127.0.0.1:${this.ports.get(b.name)}`,
        `  default_backend ${b.name}`,
      ].join("\n")
    );
    return [
      "global",
      `  stats socket ${this.socketPath} mode 600 level admin`,
      "  stats timeout 10s",
      ...(o.globalLines ?? []).map((l) => `  ${l.replaceAll("{dir}", this.dir)}`),
      "defaults",
      "  mode http",
      "  timeout connect 1s",
      "  timeout client 30s",
      "  timeout server 30s",
      "  timeout queue 2s",
      ...(o.defaultsLines ?? []).map((l) => `  ${l}`),
      ...sections,
      "",
    ].join("\n");
  }

  async #spawn(extraArgs: string[] = []): Promise<void> {
    const child = new Deno.Command(this.#binary, {
      args: ["-db", "-f", `${this.dir}/haproxy.cfg`, ...extraArgs],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#stderr = "";
    const previousStderr = this.#stderrDone;
    this.#stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (chunk) => void (this.#stderr += chunk) }),
    ).catch(() => {}).then(() => previousStderr);
    let exited = false;
    child.status.then(() => exited = true);
    try {
      await waitFor("haproxy to answer `show info`", async () => {
        if (exited) throw new Error(`haproxy exited: ${this.#stderr}`);
        return (await rawCommand(this.socketPath, "show info")).includes(`Pid: ${child.pid}`);
      }, { timeoutMs: this.#readyTimeoutMs });
    } catch (error) {
      await this.#kill("SIGKILL"); // never leave a process that did not become ready
      throw error;
    }
  }

  async #kill(signal: Deno.Signal): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
    await child.status;
    await this.#stderrDone;
  }
}

/** Sends one command on a fresh non-interactive connection and returns the whole reply. */
export async function rawCommand(socketPath: string, line: string): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path: socketPath });
  try {
    await conn.write(new TextEncoder().encode(line + "\n"));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    return new TextDecoder().decode(concat(chunks));
  } finally {
    conn.close();
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export { freePort };
export { get, getOutcome, startUpstream, type Upstream } from "./upstream.ts";
