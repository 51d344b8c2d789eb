import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";
import { describeRedis, redisSpec } from "../../helpers/redis.ts";

/**
 * Deleting or evicting a stored response never silently shortens what a later chained turn sends
 * upstream: chaining from a response whose chain lost an ancestor fails with 404
 * `previous_response_not_found` naming it, the upstream is not called, and two instances on one
 * storage (one of them holding the chain in its cache) answer alike.
 */

const KEY = "broken-chain-key-0123456789abcdef";

/** Two proxies on one Redis prefix with a response retention bound of `maxEntries`, and the fake upstream behind them. */
function twoInstances(storagePrefix: string, maxEntries: number) {
  let upstream: FakeUpstream;
  let proxies: [TestProxy, TestProxy];
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const config = {
      server: { apiKey: KEY },
      upstream: { baseURL: upstream.url, model: "fake-model" },
      storage: redisSpec(storagePrefix),
      retention: { responses: { maxEntries } },
    };
    proxies = await Promise.all([startProxy(config), startProxy(config)]);
  });
  afterAll(async () => {
    await Promise.all(proxies?.map((proxy) => proxy.close()) ?? []);
    await upstream?.close();
  });
  return {
    sdk: (proxy: TestProxy) => new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: KEY, maxRetries: 0 }),
    upstream: () => upstream,
    instances: () => proxies,
  };
}

describeRedis("a broken chain, on two instances", ({ prefix }) => {
  const { sdk, upstream: fake, instances } = twoInstances(`${prefix}:deleted`, 1000);
  let upstream: FakeUpstream;
  let a: TestProxy;
  let b: TestProxy;
  beforeAll(() => {
    upstream = fake();
    [a, b] = instances();
  });
  afterEach(() => upstream.reset());

  /** Three turns on `a`, each chained to the one before; `b` chains a fourth so it holds the chain in its cache. */
  async function chainOfThree() {
    const ids: string[] = [];
    for (const word of ["one", "two", "three"]) {
      upstream.enqueue({ text: `said ${word}` });
      const previous = ids.at(-1);
      const response = await sdk(a).responses.create({ model: "m", input: word, ...(previous && { previous_response_id: previous }) });
      ids.push(response.id);
    }
    upstream.enqueue({ text: "warm" });
    await sdk(b).responses.create({ model: "m", input: "warm", previous_response_id: ids[2]!, store: false });
    expect(upstream.requests.at(-1)!.body.messages.map((message: { content: string }) => message.content)).toEqual([
      "one",
      "said one",
      "two",
      "said two",
      "three",
      "said three",
      "warm",
    ]);
    return ids;
  }

  it("refuses to chain past a deleted ancestor on every instance, and calls no upstream", async () => {
    const [first, second, third] = await chainOfThree();
    const deleted = await fetch(`${a.url}/v1/responses/${first}`, { method: "DELETE", headers: { authorization: `Bearer ${KEY}` } });
    expect(deleted.status).toBe(200);
    const calls = upstream.requests.length;

    for (const proxy of [a, b]) {
      const error = await sdk(proxy)
        .responses.create({ model: "m", input: "four", previous_response_id: third! })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      const { code, message, param } = (error as InstanceType<typeof OpenAI.NotFoundError>).error as { code: string; message: string; param: string };
      expect(code).toBe("previous_response_not_found");
      expect(param).toBe("previous_response_id");
      expect(message).toContain(first);
    }
    expect(upstream.requests.length).toBe(calls);

    // What storage holds: the deleted one is gone, its descendants are still readable on both.
    for (const proxy of [a, b]) {
      expect((await fetch(`${proxy.url}/v1/responses/${first}`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(404);
      expect((await sdk(proxy).responses.retrieve(second!)).id).toBe(second);
    }
  });
});

describeRedis("a chain past the retention bound, on two instances", ({ prefix }) => {
  const { sdk, upstream: fake, instances } = twoInstances(`${prefix}:evicted`, 4);
  let upstream: FakeUpstream;
  let a: TestProxy;
  let b: TestProxy;
  beforeAll(() => {
    upstream = fake();
    [a, b] = instances();
  });

  it("says which ancestor was evicted instead of sending a shorter history, alike on both", async () => {
    const ids: string[] = [];
    for (let turn = 1; turn <= 4; turn++) {
      upstream.enqueue({ text: `t${turn}` });
      // Alternating instances: each has read (and cached) part of the chain.
      const proxy = turn % 2 === 0 ? b : a;
      const previous = ids.at(-1);
      ids.push((await sdk(proxy).responses.create({ model: "m", input: `u${turn}`, ...(previous && { previous_response_id: previous }) })).id);
    }
    // Three other conversations push the chain's oldest turns past the bound of four.
    for (let other = 1; other <= 3; other++) {
      upstream.enqueue({ text: `other ${other}` });
      ids.push((await sdk(other % 2 === 0 ? a : b).responses.create({ model: "m", input: `other ${other}` })).id);
    }
    // Eviction runs off the request's path; give it a moment to land and reach the other instance.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const calls = upstream.requests.length;
    const answers = await Promise.all(
      [a, b].map(async (proxy) => {
        const error = await sdk(proxy)
          .responses.create({ model: "m", input: "u5", previous_response_id: ids[3]! })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(OpenAI.NotFoundError);
        return ((error as InstanceType<typeof OpenAI.NotFoundError>).error as { code: string; message: string }).message;
      }),
    );
    expect(answers[0]).toBe(answers[1]);
    expect(answers[0]).toMatch(new RegExp(ids.slice(0, 3).join("|")));
    expect(upstream.requests.length).toBe(calls);
    // Storage holds the newest four; the oldest are gone.
    for (const id of ids.slice(3)) expect((await sdk(a).responses.retrieve(id)).id).toBe(id);
    expect((await fetch(`${b.url}/v1/responses/${ids[0]}`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(404);
  });
});
