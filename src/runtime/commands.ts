import { randomUUID } from "node:crypto";
import { HermesError, type HermesErrorInfo } from "../protocol/index.ts";
import { type StorageCoordination } from "../plugin-api/index.ts";
import { channels } from "../state/keys.ts";
import { logger } from "../utils/logger.ts";

/** What one process asks the process that owns a run or a background response to do. */
export type Command =
  | { type: "runs.stop"; runId: string }
  | { type: "runs.approval"; runId: string; choice: "once" | "deny"; all: boolean }
  | { type: "responses.cancel"; responseId: string };

type Envelope = { id: string; from: string; command: Command } | { id: string; reply: { ok: true; value: unknown } | { ok: false; error: HermesErrorInfo } };

/** The process a command was sent to is gone (nobody listens on its channel). */
export class OwnerGoneError extends Error {
  constructor(owner: string) {
    super(`process ${owner} is not running`);
    this.name = "OwnerGoneError";
  }
}

type Handler = (command: Command) => Promise<unknown>;

/**
 * Request and reply between proxy processes over the storage's message bus: each process listens on
 * its own channel (`instance:<id>`), and a command for a run or background response goes to the
 * process that owns it, whose reply (or error, as the OpenAI envelope's fields) comes back on the
 * sender's channel. Over Redis this spans processes; in process it is a loopback.
 */
export class CommandBus {
  readonly instanceId: string;
  readonly #coordination: StorageCoordination;
  readonly #handlers = new Map<Command["type"], Handler>();
  readonly #pending = new Map<string, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(coordination: StorageCoordination, instanceId: string) {
    this.#coordination = coordination;
    this.instanceId = instanceId;
  }

  handle<T extends Command["type"]>(type: T, handler: (command: Extract<Command, { type: T }>) => Promise<unknown>): void {
    this.#handlers.set(type, handler as Handler);
  }

  async start(): Promise<void> {
    this.#unsubscribe = await this.#coordination.subscribe(channels.instance(this.instanceId), (text) => this.#receive(text));
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
    for (const { reject } of this.#pending.values()) reject(new HermesError("The server is shutting down", { status: 503, code: "server_shutting_down" }));
    this.#pending.clear();
  }

  /**
   * Sends `command` to process `owner` and resolves with its reply.
   * @throws {OwnerGoneError} when no process listens as `owner`.
   * @throws {HermesError} the owner's error, or 504 `owner_timeout` when it does not answer in time.
   */
  async send(owner: string, command: Command, timeoutMs = 10_000): Promise<unknown> {
    const id = randomUUID();
    const reply = new Promise<unknown>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    const envelope: Envelope = { id, from: this.instanceId, command };
    const receivers = await this.#coordination.publish(channels.instance(owner), JSON.stringify(envelope));
    if (receivers === 0) {
      this.#pending.delete(id);
      throw new OwnerGoneError(owner);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new HermesError("The process running this did not answer in time", { status: 504, code: "owner_timeout" }));
      }, timeoutMs);
    });
    try {
      return await Promise.race([reply, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #receive(text: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      return;
    }
    if ("reply" in envelope) {
      const pending = this.#pending.get(envelope.id);
      this.#pending.delete(envelope.id);
      if (!pending) return;
      if (envelope.reply.ok) pending.resolve(envelope.reply.value);
      else {
        const { message, ...info } = envelope.reply.error;
        pending.reject(new HermesError(message, info));
      }
      return;
    }
    this.#answer(envelope).catch((error: unknown) => logger.error("answering a command failed:", error));
  }

  async #answer(request: { id: string; from: string; command: Command }): Promise<void> {
    let reply: Extract<Envelope, { reply: unknown }>["reply"];
    try {
      const handler = this.#handlers.get(request.command.type);
      if (!handler) throw new HermesError(`Unknown command ${request.command.type}`, { status: 500, code: "internal_error" });
      reply = { ok: true, value: (await handler(request.command)) ?? null };
    } catch (error) {
      const info = HermesError.is(error) ? error.toInfo() : new HermesError("Internal server error", { status: 500, code: "internal_error" }).toInfo();
      if (!HermesError.is(error)) logger.error("a command failed:", error);
      reply = { ok: false, error: info };
    }
    await this.#coordination
      .publish(channels.instance(request.from), JSON.stringify({ id: request.id, reply } satisfies Envelope))
      .catch((error: unknown) => logger.error("replying to a command failed:", error));
  }
}
