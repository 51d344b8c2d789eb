import { AsyncLocalStorage } from "node:async_hooks";
import type { HermesConfig } from "../config/schema.ts";
import { combineObservers, type ObserverSource, type Observers } from "../plugins/observers.ts";
import type { HermesStorage } from "../plugin-api/index.ts";
import type { CreateUpstreamOptions } from "../upstream/create.ts";
import { createLineWriter, type LineWriter } from "./logs/line-writer.ts";
import { formatRequestLine, type LogFormat } from "./logs/request-line.ts";
import { createMetrics, type HermesMetrics } from "./metrics/metrics.ts";
import { RequestTracker } from "./request-tracker.ts";
import { timeDriver } from "./timed-driver.ts";

export interface ObservabilityOptions {
  version: string;
  /** Where request log lines go, one call per line. @default stdout, gathered per turn of the event loop */
  writeLog?: ((line: string) => void) | undefined;
  /** Whether the log goes to a terminal, for `logs.format: "auto"`. @default process.stdout.isTTY */
  isTTY?: boolean | undefined;
}

/** Metrics, the request log and the plugins' observation hooks, wired once at start. */
export interface Observability {
  /** Every observation hook, merged; undefined when nothing observes (then nothing is wrapped). */
  observers: Observers | undefined;
  /** Follows requests for their summary; undefined when no metrics, plugin or log reads one. */
  tracker: RequestTracker | undefined;
  /** The current request's id across its async work; only while a plugin observes storage operations. */
  requestContext: AsyncLocalStorage<string> | undefined;
  metrics: HermesMetrics | undefined;
  /** What the upstream factory needs to report upstream calls and fallbacks. */
  upstreamOptions: CreateUpstreamOptions;
  /** The storage with its driver timed, when something observes storage; else as given. */
  storage(definition: HermesStorage): HermesStorage;
  /** Writes out pending log lines. */
  flush(): void;
}

/**
 * Builds the observers from the config: metrics when `metrics.enabled`, the request log when
 * `logs.requests`, and every plugin's observation hooks. What nobody asked for is not built, and the
 * parts of the request path that would feed it stay unwrapped.
 */
export function setupObservability(config: HermesConfig, options: ObservabilityOptions): Observability {
  const metrics = config.metrics.enabled ? createMetrics({ version: options.version, processMetrics: config.metrics.processMetrics }) : undefined;
  const sources: ObserverSource[] = [];
  if (metrics) sources.push({ name: "metrics", hooks: metrics.hooks });
  for (const plugin of config.plugins) if (plugin.hooks) sources.push({ name: plugin.name, hooks: plugin.hooks });
  const plugins = combineObservers(sources);

  let writer: LineWriter | undefined;
  let log: ConstructorParameters<typeof RequestTracker>[0]["log"];
  if (config.logs.requests === true) {
    const format: LogFormat = config.logs.format === "auto" ? ((options.isTTY ?? process.stdout.isTTY) ? "pretty" : "json") : config.logs.format;
    const write = options.writeLog ?? (writer = createLineWriter(process.stdout)).write;
    log = (request, summary, contents) => write(formatRequestLine(request, summary, contents, format));
  }
  const contents = log !== undefined && config.logs.contents;
  const tracker =
    plugins?.onRequestStart || plugins?.onRequestEnd || log
      ? new RequestTracker({ onRequestStart: plugins?.onRequestStart, onRequestEnd: plugins?.onRequestEnd, log, contents })
      : undefined;
  const observers = combineObservers(tracker ? [{ name: "request tracker", hooks: tracker.hooks }, ...sources] : sources);

  // Async context costs every promise a little; only a plugin that parents storage spans needs it.
  const requestContext = config.plugins.some((plugin) => plugin.hooks?.onStorageOperation) ? new AsyncLocalStorage<string>() : undefined;
  const onStorageOperation = observers?.onStorageOperation;

  return {
    observers,
    tracker,
    requestContext,
    metrics,
    upstreamOptions: {
      observers,
      ...(contents && tracker && { onOutputText: (run, text) => tracker.outputText(run, text) }),
      ...(metrics && { onFallback: metrics.onFallback }),
    },
    storage: (definition) =>
      onStorageOperation
        ? {
            ...definition,
            driver: timeDriver(definition.driver, {
              name: definition.name,
              onOperation: onStorageOperation,
              requestId: requestContext && (() => requestContext.getStore()),
            }),
          }
        : definition,
    flush: () => writer?.flush(),
  };
}
