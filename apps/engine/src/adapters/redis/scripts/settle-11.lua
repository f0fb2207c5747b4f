--[[
  Settles a batch of leased messages of one queue: each one is acknowledged,
  put back for another try, or dead-lettered. The worker's settle pipeline
  gathers the outcomes of one event-loop turn into one call.

  KEYS[1] leased  KEYS[2] messages  KEYS[3] deliveries  KEYS[4] priorities
  KEYS[5] rate (per-minute counters)  KEYS[6] dead  KEYS[7] delayed
  KEYS[8] ready  KEYS[9] sequence  KEYS[10] marker  KEYS[11] limit
  ARGV[1] now (epoch ms)  ARGV[2] the current minute (epoch ms / 60000)
  ARGV[3] how many acks follow, then their ids (most of a batch: each costs
  one argument, and all of them a few calls together)
  then 5 values per other settlement: kind, id, body, x, keep
    kind 'r' (retry): body = the new body, x = eta (epoch ms), keep = '1' to keep
                      the count of earlier deliveries, '0' to reset it
    kind 'd' (dead):  body = the delivery's body (used if the hash lost it), x = reason

  Invariants: an acknowledged or dead-lettered message is gone from every live
  structure (a dead one is kept, with its body, in the dead list: never dropped
  silently); a retried one leaves its lease and is in delayed or ready in the
  same step, so a crash never leaves it in neither.
  A queue with a concurrency limit (KEYS[11]) gets a slot back whenever a
  lease leaves the set here; if messages wait, the marker is pushed so a
  worker blocked at the limit takes the slot now rather than at the end of
  its wait.
  Returns {how many acknowledged leases were still held, 1 if the marker was
  pushed (the client then wakes workers on Cluster) else 0}.
]]
--!include bulk
local now = tonumber(ARGV[1])
local minute = ARGV[2]
local acks = tonumber(ARGV[3])
local held = 0
local freed = 0
local woke = false
if acks > 0 then
  local ids = {}
  for i = 4, 3 + acks do ids[#ids + 1] = ARGV[i] end
  held = callAll('ZREM', KEYS[1], ids, 1)
  freed = held
  callAll('HDEL', KEYS[2], ids, 1)
  if redis.call('EXISTS', KEYS[3]) == 1 then callAll('HDEL', KEYS[3], ids, 1) end
  if redis.call('EXISTS', KEYS[4]) == 1 then callAll('HDEL', KEYS[4], ids, 1) end
end
for i = 4 + acks, #ARGV, 5 do
  local kind, id, body, x, keep = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  if kind == 'r' then
    freed = freed + redis.call('ZREM', KEYS[1], id)
    redis.call('HSET', KEYS[2], id, body)
    if keep ~= '1' then redis.call('HDEL', KEYS[3], id) end
    local eta = tonumber(x)
    if eta > now then
      redis.call('ZADD', KEYS[7], eta, id)
    else
      local priority = tonumber(redis.call('HGET', KEYS[4], id) or '0')
      local seq = redis.call('INCR', KEYS[9])
      redis.call('ZADD', KEYS[8], (9 - priority) * 100000000000000 + seq, id)
      woke = true
    end
  else
    local stored = redis.call('HGET', KEYS[2], id) or body
    freed = freed + redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    redis.call('RPUSH', KEYS[6], cjson.encode({ id = id, body = stored, reason = x, at = now }))
  end
end
if held > 0 then redis.call('HINCRBY', KEYS[5], 'out:' .. minute, held) end
if not woke and freed > 0 and redis.call('EXISTS', KEYS[11]) == 1 and redis.call('ZCARD', KEYS[8]) > 0 then
  woke = true
end
if woke then
  redis.call('LPUSH', KEYS[10], '1')
  redis.call('LTRIM', KEYS[10], 0, 0)
end
return { held, woke and 1 or 0 }
