--[[
  Records a "run now" request; the beat leader claims and sends it.

  KEYS[1] entry hash    KEYS[2] due (sorted set)
  ARGV[1] name   ARGV[2] requested at (epoch ms)
  ARGV[3] control channel   ARGV[4] announcement (JSON)

  Invariant: the request puts the entry in `due` at the request time, so the
  leader sees it on its next look (woken at once by the announcement). It does
  not touch the timetable or the version: running now is not an edit.
  Returns 1, or 0 when the entry does not exist.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'runReq', ARGV[2])
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
