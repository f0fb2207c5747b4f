--[[
  Acknowledges messages: the worker is done with them for good. Workers batch
  the acks of one event-loop turn into one call.

  KEYS[1] leased  KEYS[2] messages  KEYS[3] deliveries  KEYS[4] priorities
  KEYS[5] rate (per-minute counters)
  ARGV[1] the current minute (epoch ms / 60000)  ARGV[2..] ids

  Invariant: after ack no key of the queue mentions the ids.
  Returns how many leases were still held (a lease that had expired means the
  message may be running elsewhere too).
]]
local minute = table.remove(ARGV, 1)
local held = redis.call('ZREM', KEYS[1], unpack(ARGV))
redis.call('HDEL', KEYS[2], unpack(ARGV))
redis.call('HDEL', KEYS[3], unpack(ARGV))
redis.call('HDEL', KEYS[4], unpack(ARGV))
if held > 0 then redis.call('HINCRBY', KEYS[5], 'out:' .. minute, held) end
return held
