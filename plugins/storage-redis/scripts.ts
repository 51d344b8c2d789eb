/**
 * The Lua scripts behind the Redis coordination. Each runs atomically on the server, so a
 * compare-and-set, an index update with its evictions, or a slot taken under a limit is one round
 * trip and never interleaves with another process's. Times come from Redis's own clock (`TIME`), so
 * leases mean the same on every process whatever their clocks say.
 */

const nowMs = `local clock = redis.call("TIME")
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/**
 * KEYS[1] the key; ARGV: expected-absent flag, expected value, delete flag, new value, ttl ms (0: none).
 * {1} when set; on a mismatch {0, current value} ({0} when absent), so the caller retries on what is
 * there without another round trip to read it.
 */
export const compareAndSet = `local current = redis.call("GET", KEYS[1])
if ARGV[1] == "1" then
  if current then return {0, current} end
elseif current ~= ARGV[2] then
  if current then return {0, current} end
  return {0}
end
if ARGV[3] == "1" then
  redis.call("DEL", KEYS[1])
elseif tonumber(ARGV[5]) > 0 then
  redis.call("SET", KEYS[1], ARGV[4], "PX", ARGV[5])
else
  redis.call("SET", KEYS[1], ARGV[4])
end
return {1}`;

/**
 * KEYS[1] the index (a sorted set scored by expiry); ARGV: member, expiresAt, max entries. Records the
 * member and returns the members given up: expired ones and the lowest-scored beyond the bound (at most
 * 100 of each per call, so one call's work stays bounded; the rest go on later calls).
 */
export const track = `${nowMs}
redis.call("ZADD", KEYS[1], ARGV[2], ARGV[1])
local evicted = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now, "LIMIT", 0, 100)
if #evicted > 0 then redis.call("ZREM", KEYS[1], unpack(evicted)) end
local over = redis.call("ZCARD", KEYS[1]) - tonumber(ARGV[3])
if over > 0 then
  local popped = redis.call("ZPOPMIN", KEYS[1], math.min(over, 100))
  for i = 1, #popped, 2 do evicted[#evicted + 1] = popped[i] end
end
return evicted`;

/**
 * KEYS the keys; ARGV per key its value then its ttl in seconds (0: none). Every key set in one step:
 * a batch (a response's item index entries) is one round trip and one command, and lands whole or not at all.
 */
export const setMany = `for i, key in ipairs(KEYS) do
  local ttl = tonumber(ARGV[2 * i])
  if ttl > 0 then redis.call("SET", key, ARGV[2 * i - 1], "EX", ttl) else redis.call("SET", key, ARGV[2 * i - 1]) end
end
return #KEYS`;

/** KEYS[1] the pool (a sorted set scored by lease end); ARGV: id, limit, lease ms. 1 when the slot is held. */
export const acquire = `${nowMs}
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now)
if not redis.call("ZSCORE", KEYS[1], ARGV[1]) and redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call("ZADD", KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return 1`;

/** KEYS[1] the pool; ARGV: lease ms, then the ids whose slots to extend (only those still held). */
export const renew = `${nowMs}
for i = 2, #ARGV do redis.call("ZADD", KEYS[1], "XX", now + tonumber(ARGV[1]), ARGV[i]) end
return 1`;

/** KEYS[1] the pool; ARGV: lease ms, then the ids whose leases to hold (taken when not held). */
export const hold = `${nowMs}
for i = 2, #ARGV do redis.call("ZADD", KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end
return 1`;

/** KEYS[1] the pool; ARGV: lease ms, limit. Lapsed leases, each held again for the lease, returned. */
export const reclaim = `${nowMs}
local lapsed = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now, "LIMIT", 0, tonumber(ARGV[2]))
for i = 1, #lapsed do redis.call("ZADD", KEYS[1], now + tonumber(ARGV[1]), lapsed[i]) end
return lapsed`;

/**
 * KEYS[1] the log's length key (negative once sealed); ARGV: the entries' key prefix, expected first
 * position (0: any), seal flag, ttl ms (0: none), then the values. Returns {first taken or 0, length
 * after, sealed 1/0}. The entries' keys are built here from the length, so the script reads the
 * length and writes the entries in one step: nothing runs in between.
 */
export const append = `local raw = tonumber(redis.call("GET", KEYS[1]) or "0")
local length = math.abs(raw)
if raw < 0 then return {0, length, 1} end
local count = #ARGV - 4
if count == 0 then return {0, length, 0} end
local expect = tonumber(ARGV[2])
if expect > 0 and expect ~= length + 1 then return {0, length, 0} end
local ttl = tonumber(ARGV[4])
for i = 1, count do
  local key = ARGV[1] .. string.format("%08d", length + i)
  if ttl > 0 then redis.call("SET", key, ARGV[4 + i], "PX", ttl) else redis.call("SET", key, ARGV[4 + i]) end
end
local after = length + count
local stored = after
if ARGV[3] == "1" then stored = -after end
if ttl > 0 then redis.call("SET", KEYS[1], stored, "PX", ttl) else redis.call("SET", KEYS[1], stored) end
return {length + 1, after, ARGV[3] == "1" and 1 or 0}`;
