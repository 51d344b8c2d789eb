/**
 * Preloaded (`node --import`) into every server the bench starts, never into the product: answers the
 * bench over the IPC channel with how many bytes the process allocated on the V8 heap between a
 * `start` and a `stop`. Node 20 has no running total of allocated bytes, so it is summed: used heap
 * at stop − used heap at start + what every GC in between freed (`v8.GCProfiler` records the used
 * heap before and after each). Buffers' backing stores live outside the V8 heap and are not counted.
 * Plain JavaScript, so that it loads into compiled hermes, the pipe proxy and peers alike.
 */
import { GCProfiler, getHeapStatistics } from "node:v8";

if (process.send) {
  let profiler;
  let startUsed = 0;
  process.on("message", (message) => {
    if (message?.probe === "allocation-start") {
      profiler?.stop();
      profiler = new GCProfiler();
      profiler.start();
      startUsed = getHeapStatistics().used_heap_size;
      process.send({ id: message.id });
    } else if (message?.probe === "allocation-stop") {
      const endUsed = getHeapStatistics().used_heap_size;
      const statistics = profiler?.stop()?.statistics ?? [];
      profiler = undefined;
      let freed = 0;
      let gcMicros = 0;
      for (const gc of statistics) {
        freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
        gcMicros += gc.cost;
      }
      process.send({ id: message.id, allocatedBytes: endUsed - startUsed + freed, gcCount: statistics.length, gcMs: gcMicros / 1000 });
    }
  });
  // The channel must not keep a server alive that is asked to stop.
  process.channel?.unref();
}
