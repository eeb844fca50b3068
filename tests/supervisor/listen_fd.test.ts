import { deepStrictEqual as assertEq, ok, throws } from "node:assert/strict";
import { ListenError } from "../../lib/supervisor/errors.ts";
import { openListenSocket } from "../../lib/supervisor/listen_fd.ts";

Deno.test("openListenSocket() binds IPv4 and IPv6 loopback on a kernel-chosen port", async () => {
  for (const [addr, host] of [["127.0.0.1:0", "127.0.0.1"], ["[::1]:0", "::1"]] as const) {
    const sock = openListenSocket(addr);
    try {
      ok(sock.address.port > 0);
      assertEq(sock.address.host, host);
      const conn = await Deno.connect({ hostname: host, port: sock.address.port });
      conn.close();
    } finally {
      sock.close();
    }
  }
});

Deno.test("ListenSocket.hasPendingConnections() sees a connection nobody accepted", async () => {
  const sock = openListenSocket("127.0.0.1:0");
  try {
    assertEq(sock.hasPendingConnections(), false);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: sock.address.port });
    assertEq(sock.hasPendingConnections(), true);
    conn.close();
  } finally {
    sock.close();
  }
});

Deno.test("openListenSocket() throws ListenError when the port is taken", () => {
  const first = openListenSocket("127.0.0.1:0");
  try {
    throws(() => openListenSocket(`127.0.0.1:${first.address.port}`), ListenError);
  } finally {
    first.close();
  }
});

Deno.test("openListenSocket() keeps its fd close-on-exec and blocking", () => {
  const sock = openListenSocket("127.0.0.1:0");
  try {
    const flags = Deno.readTextFileSync(`/proc/self/fdinfo/${sock.fd}`);
    const octal = parseInt(/flags:\s*(\d+)/.exec(flags)![1]!, 8);
    ok((octal & 0o2000000) !== 0, "O_CLOEXEC set");
    ok((octal & 0o4000) === 0, "O_NONBLOCK clear");
  } finally {
    sock.close();
  }
});
