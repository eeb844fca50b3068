/**
 * The flags only `shoal task` has (its gossip and logging flags are in `specs.ts`).
 *
 * @module
 */

import type { FlagSpec } from "./flags.ts";

/** Flags only the task has. */
export const TASK_FLAGS: readonly FlagSpec[] = [
  {
    name: "join-srv",
    kind: "string",
    placeholder: "<name>",
    help: "DNS SRV name whose targets are joined (alternative to --join)",
  },
  {
    name: "listen-addr",
    kind: "hostport",
    default: "0.0.0.0:0",
    allowZeroPort: true,
    anyHost: true,
    placeholder: "<addr:port>",
    help: "address of the listening socket handed to the worker as fd 3 (port 0 = ephemeral)",
  },
  {
    name: "backend",
    kind: "string",
    placeholder: "<name>",
    defaultText: "the sidecar's --haproxy-backend",
    help: "HAProxy backend to join",
  },
  {
    name: "weight",
    kind: "int",
    min: 1,
    max: 256,
    placeholder: "<n>",
    defaultText: "the sidecar's --weight",
    help: "HAProxy weight for this task",
  },
  {
    name: "zone",
    kind: "string",
    placeholder: "<zone>",
    defaultText: "from ECS or EC2 metadata",
    help: "zone of this task, sent as the 'zone' tag (a --zone sidecar prefers its own zone)",
  },
  {
    name: "ready",
    kind: "string",
    default: "tcp",
    placeholder: "<check>",
    help:
      "readiness check: tcp (the worker accepted a connection on the socket), http:PATH (a 2xx/3xx response), notify (sd_notify READY=1), exec:CMD, or delay:DURATION",
  },
  {
    name: "ready-timeout",
    kind: "duration",
    default: "60s",
    min: 1,
    placeholder: "<duration>",
    help: "give up (exit non-zero, never announce) when the worker is not ready by then",
  },
  {
    name: "health",
    kind: "string",
    placeholder: "<check>",
    defaultText: "off",
    help: "periodic health check: http:PATH or exec:CMD",
  },
  {
    name: "health-interval",
    kind: "duration",
    default: "5s",
    min: 100,
    placeholder: "<duration>",
    help: "time between health checks",
  },
  {
    name: "health-rise",
    kind: "int",
    default: "2",
    min: 1,
    max: 100,
    placeholder: "<n>",
    help: "consecutive passing checks that make an unhealthy worker healthy",
  },
  {
    name: "health-fall",
    kind: "int",
    default: "3",
    min: 1,
    max: 100,
    placeholder: "<n>",
    help: "consecutive failing checks that make a healthy worker unhealthy",
  },
  {
    name: "drain-timeout",
    kind: "duration",
    default: "20s",
    placeholder: "<duration>",
    help:
      "on SIGTERM, longest wait for the sidecars to drain this task before the worker is stopped",
  },
  {
    name: "kill-timeout",
    kind: "duration",
    default: "5s",
    placeholder: "<duration>",
    help: "after SIGTERM to the worker, wait this long before SIGKILL",
  },
  {
    name: "worker",
    kind: "argv",
    placeholder: "<arg>",
    help:
      "worker command and arguments, one per flag (or put the command after --); the variable is split on spaces",
  },
  {
    name: "log-worker",
    kind: "bool",
    default: "false",
    help: "wrap the worker's stdout and stderr lines into the structured log",
  },
];
