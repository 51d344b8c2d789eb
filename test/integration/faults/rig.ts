import OpenAI from "openai";
import type { HermesUserConfig } from "../../../src/config/schema.ts";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";
import { faultTimeouts, type UpstreamApi } from "./scenarios.ts";

/**
 * A fake upstream and the real proxy in front of it, with the fault matrix's small timeouts, and an
 * openai SDK client whose fetch keeps a copy of every response body: the tests read what the SDK
 * made of a stream and the exact frames it was made of.
 */
export interface FaultRig {
  upstream: FakeUpstream;
  proxy: TestProxy;
  client: OpenAI;
  /** The raw text of the last response the client received, once it has been read to its end. */
  lastBody(): Promise<string>;
  close(): Promise<void>;
}

export async function startFaultRig(api: UpstreamApi, extra: HermesUserConfig = {}): Promise<FaultRig> {
  const upstream = await startFakeUpstream();
  const proxy = await startProxy({
    ...extra,
    upstream: { baseURL: upstream.url, model: "fake-model", api, ...faultTimeouts, ...extra.upstream },
  });
  let last: Promise<string> = Promise.resolve("");
  const teeFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!response.body) return response;
    const [forClient, forTest] = response.body.tee();
    last = new Response(forTest).text().catch(() => "");
    return new Response(forClient, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  // No SDK retries: every retry in these tests is the proxy's own.
  const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 8_000, fetch: teeFetch });
  return {
    upstream,
    proxy,
    client,
    lastBody: () => last,
    async close() {
      await proxy.close();
      await upstream.close();
    },
  };
}
