import { ConfigError } from "../config/errors.ts";
import { checkStartup } from "../config/guards.ts";
import { displayPath } from "../config/load.ts";
import type { ConfigFlags } from "../config/overlay.ts";
import { resolveConfig } from "../config/resolve.ts";
import { version } from "../version.ts";
import { bareHost } from "../server/listen-error.ts";
import { bannerLines } from "./banner.ts";
import { printError, printLines, printWarning } from "./output.ts";
import { onShutdownSignal, withDeadline } from "./signals.ts";
import { releaseYoungGeneration } from "./heap-growth.ts";

/** Time beyond `server.shutdownTimeoutMs` for closing the upstream pools, storage and sockets. */
const shutdownMarginMs = 2_000;

/**
 * `hermes-proxy serve`: resolve the config, apply the startup guards, create the proxy and listen.
 * Returns once listening; the process then lives until a signal.
 *
 * @throws {ConfigError | ListenError} for the CLI to print; nothing is left running.
 */
export async function runServe(flags: ConfigFlags): Promise<void> {
  const cwd = process.cwd();
  const { config, source } = await resolveConfig({ flags, env: process.env, cwd });
  const { errors, warnings } = checkStartup(config);
  if (errors.length > 0) throw new ConfigError(errors.join("\n"), { code: "startup_refused", problems: errors });
  // Before anything opens (storage may be a remote Redis): a certificate that cannot be used is one
  // line. Loaded here, like createHermes below, so that --help and --version do not load node:tls.
  const { readTls } = await import("../config/tls.ts");
  const tls = readTls(config.server.tls, cwd);

  // Loaded here rather than at the top so that --help, --version and check stay fast.
  const { createHermes } = await import("../index.ts");
  // The command logs one line per request unless the config or HERMES_LOG_REQUESTS says otherwise;
  // embedded (createHermes) and under test it stays quiet.
  const hermes = await createHermes({ ...config, logs: { ...config.logs, requests: config.logs.requests ?? true } });
  let listener: Awaited<ReturnType<typeof hermes.listen>>;
  try {
    listener = await hermes.listen({ tls });
  } catch (error) {
    await withDeadline(hermes.close(), shutdownMarginMs, undefined);
    throw error;
  }
  // Start-up is over: from here the young generation grows with the load (see heap-growth.ts).
  releaseYoungGeneration();

  printLines(
    bannerLines({
      version,
      config,
      upstreamKind: hermes.upstreamKind,
      host: bareHost(config.server.host),
      port: listener.port,
      protocol: listener.protocol,
      networkURLs: listener.networkURLs(),
      source: source === undefined ? undefined : displayPath(source, cwd),
      storage: hermes.storage,
      metricsURL: hermes.metricsURL,
    }),
  );
  // After the banner, so that a failure to listen stays a single line.
  for (const warning of warnings) printWarning(warning);

  onShutdownSignal(async (signal) => {
    const seconds = Math.ceil(config.server.shutdownTimeoutMs / 1000);
    process.stderr.write(`hermes-proxy: ${signal} received; finishing in-flight requests (up to ${seconds} s)\n`);
    // The listener stays open while hermes drains: a request that arrives meanwhile (a new connection,
    // or a keep-alive one, which closing the listener would cut) gets a clean 503 `server_draining`
    // with Retry-After instead of a refused or reset connection. Then the listener closes.
    const drainThenClose = async () => {
      const drained = await Promise.allSettled([hermes.close()]);
      return [...drained, ...(await Promise.allSettled([listener.close()]))];
    };
    const outcome = await withDeadline<PromiseSettledResult<void>[] | "timeout">(
      drainThenClose(),
      config.server.shutdownTimeoutMs + shutdownMarginMs,
      "timeout",
    );
    if (outcome === "timeout") {
      process.stderr.write(`hermes-proxy: shutdown did not finish in ${seconds + shutdownMarginMs / 1000} s; exiting anyway\n`);
      return 1;
    }
    const failed = outcome.find((result) => result.status === "rejected");
    if (failed !== undefined) {
      printError(failed.reason);
      return 1;
    }
    return 0;
  });
}
