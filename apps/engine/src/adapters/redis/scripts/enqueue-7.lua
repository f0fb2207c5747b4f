--[[
  Enqueues messages into one queue (one message, or a batch for bulk enqueue).

  KEYS[1] ready       KEYS[2] delayed    KEYS[3] messages
  KEYS[4] priorities  KEYS[5] sequence   KEYS[6] marker
  KEYS[7] rate (per-minute counters)
  ARGV[1] now (epoch ms)
  ARGV[2..] groups of 4: id, body, priority (0-9), eta (epoch ms or '')

  Invariant: an id is in `messages` iff it is in exactly one of ready, delayed
  or leased. An id already present is left alone, so enqueueing twice with the
  same task id is idempotent.
  Returns the number of messages added.
]]
--!include enqueue-message
local now = tonumber(ARGV[1])
local added = 0
local wake = false
for i = 2, #ARGV, 4 do
  local a, r = enqueueMessage(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], now, ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3])
  added = added + a
  if r == 1 then wake = true end
end
if added > 0 then redis.call('HINCRBY', KEYS[7], 'in:' .. math.floor(now / 60000), added) end
if wake then
  redis.call('LPUSH', KEYS[6], '1')
  redis.call('LTRIM', KEYS[6], 0, 0)
end
return added
