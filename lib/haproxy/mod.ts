/**
 * HAProxy runtime-API layer: a client for the admin socket, strict validation of everything that
 * goes into a command, parsers for HAProxy's state outputs, server lifecycle operations, and a
 * reconciler that keeps HAProxy's dynamic servers equal to a desired set.
 *
 * Errors are typed: HAProxy replies become {@linkcode HaproxyCommandError} subclasses
 * ({@linkcode NoSuchBackendError}, {@linkcode NoSuchServerError}, {@linkcode ServerAlreadyExistsError},
 * {@linkcode NotInMaintenanceError}, {@linkcode StillHasConnectionsError}, ...); refused input is a
 * {@linkcode ValidationError} and never reaches the socket.
 *
 * @example
 * ```ts ignore
 * import { Reconciler, RuntimeClient, serverNameFor } from "./mod.ts";
 * import { systemClock } from "../clock.ts";
 *
 * const client = new RuntimeClient({ socketPath: "/run/haproxy/admin.sock", clock: systemClock });
 * const reconciler = new Reconciler(client, { backends: ["app"], prefix: "shoal-" });
 * await reconciler.start(); // throws BackendCheckError if "app" cannot take dynamic servers
 *
 * reconciler.setDesired("app", [{
 *   name: serverNameFor("ip-10-0-0-5.ec2.internal"),
 *   addr: "10.0.0.5",
 *   port: 8080,
 *   weight: 10,
 *   state: "ready", // "drain" to remove gracefully; leave it out to remove at once
 *   check: { interMs: 500, rise: 2, fall: 2 },
 * }]);
 *
 * // Servers from before a sidecar restart are untouched until setDesired is called for "app".
 * console.log(reconciler.foundAtStart("app").map((s) => s.name));
 * for (const s of reconciler.observed("app")) console.log(s.name, s.admin, s.sessions?.scur);
 * await reconciler.stop();
 * await client.close();
 * ```
 *
 * @module
 */

export {
  BackendCheckError,
  errorKind,
  HaproxyCommandError,
  HaproxyConnectionError,
  HaproxyError,
  type HaproxyErrorKind,
  HaproxyProtocolError,
  HaproxyTimeoutError,
  IdInUseError,
  NoSuchBackendError,
  NoSuchServerError,
  NotDynamicBackendError,
  NotInMaintenanceError,
  PermissionDeniedError,
  ServerAlreadyExistsError,
  StillHasConnectionsError,
  UnknownCommandError,
  UnsupportedVersionError,
  ValidationError,
} from "./errors.ts";
export {
  formatEndpoint,
  type IpAddress,
  NAME_LENGTH_MAX,
  parseIp,
  validateName,
  validatePort,
  validateWeight,
} from "./validate.ts";
export {
  addServerCommand,
  type AddServerSpec,
  type AdminState,
  type CheckOptions,
  Command,
  delServerCommand,
  enableHealthCommand,
  probeServerName,
  readyAfterChecksCommand,
  type ReplyExpectation,
  serverWords,
  setStateCommand,
  setWeightCommand,
  showInfoCommand,
  showServersStateCommand,
  showStatCommand,
  showVersionCommand,
  shutdownSessionsCommand,
} from "./commands.ts";
export type { Clock, TimerId } from "../clock.ts";
export type { LogFields, Logger } from "../log/logger.ts";
export {
  type CommandResult,
  IDLE_REOPEN_MS,
  RuntimeClient,
  type RuntimeClientOptions,
} from "./client.ts";
export { type Connector, type RuntimeConn, unixConnector } from "./transport.ts";
export { PromptFramer } from "./framing.ts";
export { type AdminView, parseServersState, type ServerStateRow } from "./servers_state.ts";
export { parseStat, type StatKind, type StatRow } from "./stat.ts";
export {
  type HaproxyVersion,
  parseInfo,
  parseVersion,
  type ProcessInfo,
  versionAtLeast,
} from "./info.ts";
export {
  DEFAULT_PREFIX,
  SERVER_ID_MAX,
  SERVER_ID_MIN,
  serverIdFor,
  serverNameFor,
  type ServerNameOptions,
} from "./names.ts";
export {
  type DesiredServer,
  type ObservedServer,
  type Plan,
  type PlanInput,
  planReconcile,
  type PlanStep,
  REMOVE_DELAY_MS,
  REMOVE_SETTLE_MS,
  serverOptionsKey,
  type WaitingDrain,
} from "./plan.ts";
export { rampedWeight, type RampOptions } from "./ramp.ts";
export {
  addSequence,
  deleteSequence,
  type ExecuteOptions,
  executePlan,
  ID_ATTEMPTS_MAX,
  nextServerId,
  stepCommands,
  type StepOutcome,
} from "./executor.ts";
export { nextPassDelayMs, type PassDelays } from "./schedule.ts";
export {
  type AddOutcome,
  addServer,
  type DrainOptions,
  type DrainOutcome,
  drainServer,
  removeServerNow,
} from "./lifecycle.ts";
export { type BackendMode, checkBackend, checkVersion } from "./backend_check.ts";
export type { PassReport } from "./pass.ts";
export {
  DESIRED_SERVERS_MAX,
  Reconciler,
  type ReconcilerOptions,
  RETRY_DELAY_MAX_MS,
} from "./reconciler.ts";
export {
  hasSlots,
  isBackupSlot,
  isSlotName,
  NoFreeSlotError,
  pickFreeSlot,
  type SlotCounts,
  slotCounts,
  slotStepCommands,
  type SlotView,
  viewSlots,
} from "./slots.ts";
export { saveServerState } from "./state_file.ts";
export {
  parseServerOptions,
  parseServerOptionsFlag,
  SERVER_OPTIONS_LENGTH_MAX,
} from "./server_options.ts";
