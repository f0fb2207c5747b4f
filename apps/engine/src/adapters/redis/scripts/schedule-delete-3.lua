--[[
  Deletes a schedule entry.

  KEYS[1] entry hash    KEYS[2] due (sorted set)    KEYS[3] names (set)
  ARGV[1] name
  ARGV[2] expected version ('' for any)
  ARGV[3] required source ('' for any; sync passes 'code' so it never deletes
          a schedule made in the dashboard)
  ARGV[4] control channel   ARGV[5] announcement (JSON)

  Invariant: an entry, its name in `names` and its place in `due` go together.
  Returns {1} deleted | {0} missing | {-1, version} stale | {-2} other source.
]]
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version == 0 then return {0} end
if ARGV[2] ~= '' and version ~= tonumber(ARGV[2]) then return {-1, version} end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[1], 'source') ~= ARGV[3] then return {-2} end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return {1}
