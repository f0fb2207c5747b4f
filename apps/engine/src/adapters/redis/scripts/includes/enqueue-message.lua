--[[
  Shared by the scripts that enqueue (pulled in with `--!include enqueue-message`).
  Adds one message to a queue unless its id is there already (enqueueing twice
  is idempotent): into `delayed` when its eta is in the future, else into
  `ready`, ordered by priority band then sequence. Returns added, ready (both 0/1).
  ready, delayed, messages, priorities, sequence: the queue's keys.
]]
local function enqueueMessage(ready, delayed, messages, priorities, sequence, now, id, body, priority, eta)
  if redis.call('HSETNX', messages, id, body) == 0 then return 0, 0 end
  if priority ~= 0 then redis.call('HSET', priorities, id, priority) end
  if eta ~= '' and tonumber(eta) > now then
    redis.call('ZADD', delayed, tonumber(eta), id)
    return 1, 0
  end
  local seq = redis.call('INCR', sequence)
  redis.call('ZADD', ready, (9 - priority) * 100000000000000 + seq, id)
  return 1, 1
end
