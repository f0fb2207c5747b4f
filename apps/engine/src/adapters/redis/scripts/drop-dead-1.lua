--[[
  Deletes dead letters for good.

  KEYS[1] dead
  ARGV[1] limit (how many, oldest first, when no ids are given)
  ARGV[2..] ids to delete (none: the oldest `limit` entries)

  Invariant: only entries of the dead list are touched; queued copies of the
  same id are left alone.
  Returns the number of entries deleted.
]]
if #ARGV == 1 then
  local limit = tonumber(ARGV[1])
  local n = math.min(limit, redis.call('LLEN', KEYS[1]))
  if n > 0 then redis.call('LTRIM', KEYS[1], n, -1) end
  return n
end
local wanted = {}
for i = 2, #ARGV do wanted[ARGV[i]] = true end
local dropped = 0
for _, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local ok, entry = pcall(cjson.decode, raw)
  if ok and type(entry) == 'table' and entry.id and wanted[entry.id] then
    redis.call('LREM', KEYS[1], 1, raw)
    dropped = dropped + 1
  end
end
return dropped
