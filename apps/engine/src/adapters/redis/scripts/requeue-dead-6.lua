--[[
  Moves dead letters back into their queue's ready set, to be tried afresh.

  KEYS[1] dead  KEYS[2] messages  KEYS[3] ready  KEYS[4] sequence
  KEYS[5] marker  KEYS[6] deliveries
  ARGV[1] limit (how many, oldest first, when no ids are given)
  ARGV[2..] ids to requeue (none: the oldest `limit` entries)

  Invariant: an entry leaves the dead list only in the step that puts its id in
  `messages` and `ready`, so a crash never loses it. An id that is already
  queued again (same task id) is dropped from the dead list without a copy.
  Returns the number of entries taken off the dead list.
]]
local limit = tonumber(ARGV[1])
local wanted = nil
if #ARGV > 1 then
  wanted = {}
  for i = 2, #ARGV do wanted[ARGV[i]] = true end
  limit = #ARGV - 1
end
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
local moved = 0
for _, raw in ipairs(entries) do
  if moved >= limit then break end
  local ok, entry = pcall(cjson.decode, raw)
  if ok and type(entry) == 'table' and entry.id and (wanted == nil or wanted[entry.id]) then
    redis.call('LREM', KEYS[1], 1, raw)
    if redis.call('HSETNX', KEYS[2], entry.id, entry.body) == 1 then
      redis.call('HDEL', KEYS[6], entry.id)
      local seq = redis.call('INCR', KEYS[4])
      redis.call('ZADD', KEYS[3], 9 * 100000000000000 + seq, entry.id)
    end
    moved = moved + 1
  end
end
if moved > 0 then
  redis.call('LPUSH', KEYS[5], '1')
  redis.call('LTRIM', KEYS[5], 0, 0)
end
return moved
