--[[
  Writes a schedule entry's definition if nobody changed it since it was read
  (create, update, enable, disable, sync from code).

  KEYS[1] entry hash    KEYS[2] due (sorted set)    KEYS[3] names (set)
  ARGV[1] name
  ARGV[2] expected version (0: the entry must not exist)
  ARGV[3] expected `next` as read ('' for none): a claim in between moves it
  ARGV[4] control channel   ARGV[5] announcement (JSON) published on it
  ARGV[6..] field, value pairs (definition side only: never lastRun / runs / runReq)

  Invariant: the version only grows, one step per edit, so two editors of the
  same version cannot both win (optimistic concurrency). Run history written by
  claims is never overwritten: an edit computed before a claim is refused as
  'moved' and recomputed. An entry is in `due` iff it has a run request, or is
  enabled with a next run; its score is the earlier of the two.
  Returns {1, new version} | {0, current version} (stale) | {2, version} (moved).
]]
--!include reindex

local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[2]) then return {0, version} end
if version > 0 and (redis.call('HGET', KEYS[1], 'next') or '') ~= ARGV[3] then return {2, version} end

for i = 6, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
if version == 0 then
  redis.call('HSET', KEYS[1], 'lastRun', '', 'runs', 0, 'runReq', '')
  redis.call('SADD', KEYS[3], ARGV[1])
end
redis.call('HSET', KEYS[1], 'version', version + 1)
reindex(KEYS[1], KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return {1, version + 1}
