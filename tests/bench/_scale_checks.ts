/**
 * The swarm's stand-ins for its members' workers, which answer the sidecar's HAProxy health check
 * (`option httpchk GET /`, every server checked every second): a real task's worker is a separate
 * process, so the swarm's may be one too. `SCALE_CHECK_RESPONDER` picks:
 *
 * - `haproxy` (default when `haproxy` is installed): one HAProxy process per batch of members,
 *   binding every member's address and answering `200 ok` itself (`http-request return`). The
 *   checks still cross the loopback as real TCP connections; they just cost the generator nothing.
 * - `deno`: a listener per member in the generator's own event loop (about 9 syscalls and a few
 *   JS promises per check: at 1000 members, 1000 of them a second).
 *
 * @module
 */

/** The worker port of every member (each has its own address). */
export const WORKER_PORT = 8080;

const HTTP_OK = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
);

/** Something that answers the checks of some members' addresses until closed. */
export interface CheckResponder {
  /** Its process, when it is one. */
  readonly pid?: number;
  close(): Promise<void>;
}

/** Which responder `SCALE_CHECK_RESPONDER` asks for (see the module doc). */
export function responderKind(): "haproxy" | "deno" {
  const want = Deno.env.get("SCALE_CHECK_RESPONDER");
  if (want === "deno" || want === "haproxy") return want;
  try {
    return new Deno.Command("setpriv", {
        args: ["--pdeathsig", "KILL", "--", "haproxy", "-v"],
        stdout: "null",
        stderr: "null",
      })
        .outputSync().success
      ? "haproxy"
      : "deno";
  } catch {
    return "deno";
  }
}

/** Answers the checks of `hosts` (port {@linkcode WORKER_PORT}) with the responder `kind`. */
export async function serveChecks(
  kind: "haproxy" | "deno",
  hosts: readonly string[],
): Promise<CheckResponder> {
  if (hosts.length === 0) return { close: () => Promise.resolve() };
  return kind === "haproxy" ? await haproxyResponder(hosts) : denoResponder(hosts);
}

async function haproxyResponder(hosts: readonly string[]): Promise<CheckResponder> {
  const dir = await Deno.makeTempDir({ prefix: "shoal-scale-checks-" });
  const cfg = `${dir}/checks.cfg`;
  await Deno.writeTextFile(
    cfg,
    [
      "global",
      `  maxconn ${Math.max(256, hosts.length * 4)}`,
      "defaults",
      "  mode http",
      "  timeout client 5s",
      "  timeout connect 1s",
      "  timeout server 1s",
      "frontend checks",
      ...hosts.map((h) => `  bind ${h}:${WORKER_PORT}`),
      "  http-request return status 200 content-type text/plain string ok",
      "",
    ].join("\n"),
  );
  // setpriv --pdeathsig: it dies with the generator, even one that crashed.
  const child = new Deno.Command("setpriv", {
    args: ["--pdeathsig", "KILL", "--", "haproxy", "-db", "-f", cfg],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Bound when the last address accepts a connection (at most 10 s).
  const last = hosts.at(-1)!;
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: last, port: WORKER_PORT })).close();
      break;
    } catch {
      if (i === 199) throw new Error(`check responder for ${hosts.length} members did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  void child.stderr.cancel();
  return {
    pid: child.pid,
    async close() {
      try {
        child.kill("SIGTERM"); // its own pid only
      } catch {
        // exited already
      }
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

function denoResponder(hosts: readonly string[]): CheckResponder {
  const listeners = hosts.map((host) => Deno.listen({ hostname: host, port: WORKER_PORT }));
  for (const listener of listeners) {
    (async () => {
      // Not `for await`: Deno's listener iterator ends at the first failed accept, and a check
      // HAProxy abandons (reset before accept) fails one with ENOTCONN.
      while (true) {
        let conn: Deno.Conn;
        try {
          conn = await listener.accept();
        } catch (err) {
          if (err instanceof Deno.errors.BadResource) return; // closed
          continue;
        }
        answerCheck(conn);
      }
    })();
  }
  return {
    close() {
      for (const l of listeners) l.close();
      return Promise.resolve();
    },
  };
}

/**
 * HAProxy's `option httpchk GET /`: read the request (closing with it unread would reset the
 * connection before HAProxy reads the answer), answer 200, close.
 */
async function answerCheck(conn: Deno.Conn): Promise<void> {
  try {
    const buf = new Uint8Array(4096);
    let seen = "";
    while (!seen.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      seen += new TextDecoder().decode(buf.subarray(0, n));
    }
    await conn.write(HTTP_OK);
  } catch {
    // HAProxy gave up on this check (timeout) and reset the connection
  } finally {
    conn.close();
  }
}
