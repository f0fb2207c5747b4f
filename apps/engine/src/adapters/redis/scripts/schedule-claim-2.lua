--[[
  Claims one due occurrence (or one "run now" request) of a schedule for the
  beat that will send it.

  KEYS[1] entry hash    KEYS[2] due (sorted set)
  ARGV[1] name
  ARGV[2] mode: 'due' (the timetable) or 'manual' (a run request)
  ARGV[3] version as read
  ARGV[4] as read: `next` (mode 'due') or `runReq` (mode 'manual'), epoch ms
  ARGV[5] new lastDue   ARGV[6] new next ('' when finished)
  ARGV[7] tasks sent    ARGV[8] fired at (epoch ms)
  ARGV[9] '1' when the schedule is finished (oneOff, clocked, endAt): disable it
  ARGV[10] control channel   ARGV[11] announcement (JSON)

  Invariant: compare-and-set on the due time. Two beats (two leaders during a
  failover, or a slow old leader) that read the same occurrence both call this;
  the first moves `next` (or clears `runReq`), so the second finds a different
  value and gets 0: no occurrence is sent twice. The version check makes beat
  send with the definition it read, never a stale one after an edit.
  Returns 1 when claimed, 0 when someone else did (or the entry changed).
]]
--!include reindex

local version = redis.call('HGET', KEYS[1], 'version')
if not version or version ~= ARGV[3] then return 0 end
if ARGV[2] == 'manual' then
  if redis.call('HGET', KEYS[1], 'runReq') ~= ARGV[4] then return 0 end
  redis.call('HSET', KEYS[1], 'runReq', '')
else
  if redis.call('HGET', KEYS[1], 'enabled') ~= '1' then return 0 end
  if redis.call('HGET', KEYS[1], 'next') ~= ARGV[4] then return 0 end
  redis.call('HSET', KEYS[1], 'lastDue', ARGV[5], 'next', ARGV[6])
  if ARGV[9] == '1' then
    redis.call('HSET', KEYS[1], 'enabled', '0')
    redis.call('HINCRBY', KEYS[1], 'version', 1)
    redis.call('PUBLISH', ARGV[10], ARGV[11])
  end
end
local fired = tonumber(ARGV[7])
if fired > 0 then
  redis.call('HSET', KEYS[1], 'lastRun', ARGV[8])
  redis.call('HINCRBY', KEYS[1], 'runs', fired)
end
reindex(KEYS[1], KEYS[2], ARGV[1])
return 1
