--[[
  Records one chord member's outcome and, when it completes the chord, enqueues
  the callback: one atomic step, so the callback is enqueued exactly once.

  KEYS[1] the join hash (in the callback queue's slot)
  KEYS[2..8] the callback queue: ready, delayed, messages, priorities, sequence, marker, rate
  ARGV[1] now (epoch ms)   ARGV[2] member index   ARGV[3] 'ok' or 'fail'
  ARGV[4] the member's result as JSON ('ok'), or its task id ('fail')
  ARGV[5] ttl ms

  Slots: field 'm:<index>' is 'ok' or 'fail:<member id>', 'r:<index>' the result.
  Invariants: `done` counts the 'ok' slots and `failed` the 'fail:' ones, so a
  redelivered member (its slot already holds its outcome) counts nothing; a
  success in a failed slot (a retried member) takes its place; the callback is
  enqueued when done == size and failed == 0, and `state` becomes 'fired' so it
  never is again.
  Returns {'counted'} | {'duplicate'} | {'fired', body} |
          {'failed', '1' (this failure failed the chord) or '0', body} | {'missing'}.
]]
--!include enqueue-message
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
local join = KEYS[1]
if redis.call('HGET', join, 'state') == 'fired' then return {'duplicate'} end
redis.call('PEXPIRE', join, ARGV[5])
local index = ARGV[2]
local slot = 'm:' .. index
local cur = redis.call('HGET', join, slot)
local splice = redis.call('HGET', join, 'splice') == '1'

local function plainBody()
  local head, tail = unpack(redis.call('HMGET', join, 'head', 'tail'))
  if splice then return head .. '[]' .. tail end
  return head
end

if ARGV[3] == 'fail' then
  if cur == 'ok' then return {'duplicate'} end
  redis.call('HSET', join, slot, 'fail:' .. ARGV[4])
  if cur then return {'failed', '0', plainBody()} end
  local failed = redis.call('HINCRBY', join, 'failed', 1)
  return {'failed', failed == 1 and '1' or '0', plainBody()}
end

if cur == 'ok' then return {'duplicate'} end
redis.call('HSET', join, slot, 'ok', 'r:' .. index, ARGV[4])
local done = redis.call('HINCRBY', join, 'done', 1)
local failed = tonumber(redis.call('HGET', join, 'failed'))
if cur then failed = redis.call('HINCRBY', join, 'failed', -1) end
local size = tonumber(redis.call('HGET', join, 'size'))
if done < size or failed > 0 then return {'counted'} end

local head, tail, id, priority, eta = unpack(redis.call('HMGET', join, 'head', 'tail', 'id', 'priority', 'eta'))
local body = head
if splice then
  local fields = {}
  for i = 0, size - 1 do fields[#fields + 1] = 'r:' .. i end
  local results = {}
  -- HMGET in chunks: unpack() of thousands of arguments overflows Lua's stack.
  for i = 1, #fields, 500 do
    local chunk = redis.call('HMGET', join, unpack(fields, i, math.min(i + 499, #fields)))
    for _, r in ipairs(chunk) do results[#results + 1] = r or 'null' end
  end
  body = head .. '[' .. table.concat(results, ',') .. ']' .. tail
end
redis.call('HSET', join, 'state', 'fired')

-- The callback's enqueue, as enqueue-7.lua does it.
local now = tonumber(ARGV[1])
local added, ready = enqueueMessage(KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], now, id, body, tonumber(priority), eta)
if ready == 1 then
  redis.call('LPUSH', KEYS[7], '1')
  redis.call('LTRIM', KEYS[7], 0, 0)
end
if added == 1 then redis.call('HINCRBY', KEYS[8], 'in:' .. math.floor(now / 60000), 1) end
return {'fired', body}
