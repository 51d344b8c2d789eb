/**
 * Preloaded (`node --import`) into every server the bench starts, never into the product: answers the
 * bench over the IPC channel with how many bytes the process allocated on the V8 heap between a
 * `start` and a `stop`. Node 20 has no running total of allocated bytes, so it is summed: used heap
 * at stop − used heap at start + what every GC in between freed (`v8.GCProfiler` records the used
 * heap before and after each). Buffers' backing stores live outside the V8 heap and are not counted.
 *
 * With a `sitesFile` in the start message (`--alloc-sites`), it also runs V8's sampling heap profiler
 * over the same span and saves the profile there (a `.heapprofile`, which DevTools loads): a sample
 * every ~4 KiB allocated, with the stack that allocated it. The two `includeObjectsCollectedBy*` flags
 * keep the samples of objects the GC has already freed; without them the profile holds only what is
 * still alive at stop, which for a request path is almost nothing (V8 11.3 in Node 20 honours them).
 *
 * Asked `live-heap`, it runs a full GC and answers the used heap after it: what the process holds,
 * apart from the garbage and the room V8 keeps for more (the soak's leak figure beside RSS).
 *
 * Plain JavaScript, so that it loads into compiled hermes, the pipe proxy and peers alike.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { dirname } from "node:path";
import { GCProfiler, getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const SAMPLING_INTERVAL_BYTES = 4096;

if (process.send) {
  let profiler;
  let startUsed = 0;
  /** The heap profiler's session and where its profile goes, while sampling. */
  let sampling;

  const startSampling = async (file) => {
    const session = new Session();
    session.connect();
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: SAMPLING_INTERVAL_BYTES,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    sampling = { session, file };
  };

  /** Saves the profile; its path, or why there is none. The profile is big: taken after the count is read. */
  const stopSampling = async () => {
    if (!sampling) return {};
    const { session, file } = sampling;
    sampling = undefined;
    try {
      const { profile } = await session.post("HeapProfiler.stopSampling");
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      return { sitesFile: file };
    } finally {
      session.disconnect();
    }
  };

  /** V8's `gc` function, exposed on first use only: the flag is read when a context is created. */
  let collect;
  const fullGc = () => {
    if (!collect) {
      setFlagsFromString("--expose-gc");
      collect = runInNewContext("gc");
    }
    collect();
  };

  const answer = async (message) => {
    if (message?.probe === "live-heap") {
      fullGc();
      return { liveHeapBytes: getHeapStatistics().used_heap_size };
    }
    if (message?.probe === "allocation-start") {
      profiler?.stop();
      await stopSampling();
      // Sampling first: setting it up allocates, and that is not the request's.
      if (typeof message.sitesFile === "string") await startSampling(message.sitesFile);
      profiler = new GCProfiler();
      profiler.start();
      startUsed = getHeapStatistics().used_heap_size;
      return {};
    }
    if (message?.probe === "allocation-stop") {
      const endUsed = getHeapStatistics().used_heap_size;
      const statistics = profiler?.stop()?.statistics ?? [];
      profiler = undefined;
      let freed = 0;
      let gcMicros = 0;
      for (const gc of statistics) {
        freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
        gcMicros += gc.cost;
      }
      const counted = { allocatedBytes: endUsed - startUsed + freed, gcCount: statistics.length, gcMs: gcMicros / 1000 };
      try {
        return { ...counted, ...(await stopSampling()) };
      } catch (error) {
        return { ...counted, sitesError: String(error?.message ?? error) };
      }
    }
    return undefined;
  };

  process.on("message", (message) => {
    answer(message).then(
      (reply) => reply && process.send({ id: message.id, ...reply }),
      (error) => process.send({ id: message.id, error: String(error?.message ?? error) }),
    );
  });
  // The channel must not keep a server alive that is asked to stop.
  process.channel?.unref();
}
