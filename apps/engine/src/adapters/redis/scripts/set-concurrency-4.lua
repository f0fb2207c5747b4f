--[[
  Sets or clears a queue's global concurrency limit.

  KEYS[1] limit  KEYS[2] leased  KEYS[3] ready  KEYS[4] marker
  ARGV[1] the limit (a positive integer), or '' for no limit  ARGV[2] now (epoch ms)

  The limit is a plain key in the queue's slot, so the reserve script reads it
  atomically with its count of live leases and its pop. Lowering it stops new
  reserves until enough leases end; leases already held are not taken back.
  When the change leaves a free slot and messages wait, the marker is pushed
  so a worker blocked at the old limit takes them at once; the reply (1) tells
  the client to wake workers on Cluster too.
]]
local limit = tonumber(ARGV[1])
if limit then
  redis.call('SET', KEYS[1], limit)
else
  redis.call('DEL', KEYS[1])
end
if redis.call('ZCARD', KEYS[3]) == 0 then return 0 end
if limit and redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[2], '+inf') >= limit then return 0 end
redis.call('LPUSH', KEYS[4], '1')
redis.call('LTRIM', KEYS[4], 0, 0)
return 1
