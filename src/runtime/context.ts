import type { HermesConfig } from "../config/schema.ts";
import type { StorageCoordination } from "../plugin-api/index.ts";
import type { PluginRegistry } from "../plugins/registry.ts";
import type { ConversationStore } from "../state/conversations.ts";
import type { IdempotencyStore } from "../state/idempotency.ts";
import type { ItemIndex } from "../state/item-index.ts";
import type { ResponseStore } from "../state/responses.ts";
import type { SessionStore } from "../state/sessions.ts";
import type { UnfinishedMarks } from "../state/unfinished.ts";
import type { StorageHealth } from "../state/storage-health.ts";
import type { Upstream } from "../upstream/types.ts";
import type { BackgroundRuns } from "./background.ts";
import type { CommandBus } from "./commands.ts";
import type { Lifecycle } from "./lifecycle.ts";
import type { RunManager } from "./runs/manager.ts";

/** What turns and runs need, built once at start: no per-request config or plugin resolution. No HTTP in here. */
export interface RuntimeContext {
  config: HermesConfig;
  upstream: Upstream;
  /** The plugins' tools and hooks, built once at start. */
  registry: PluginRegistry;
  /** Runs API runs: detached from requests, logged in storage. */
  runs: RunManager;
  sessions: SessionStore;
  idempotency: IdempotencyStore;
  responses: ResponseStore;
  conversations: ConversationStore;
  /** Where every stored item lives, by id (`item_reference`, conversation items). */
  items: ItemIndex;
  /** Background responses running in this process. */
  background: BackgroundRuns;
  /** On fs and SQLite: marks of live work, for the next start to settle what a crash cut off. */
  unfinished?: UnfinishedMarks | undefined;
  /** Storage driver name for `/health/detailed`. */
  storageKind: string;
  /** Whether the storage is up (the readiness probe), and writes to retry once it is back. */
  storageHealth: StorageHealth;
  /** The storage's coordination: `shared` when several processes on it behave as one (Redis). */
  coordination: StorageCoordination;
  /** Commands to and from the other processes on the storage (this process's id is `commands.instanceId`). */
  commands: CommandBus;
  lifecycle: Lifecycle;
}
