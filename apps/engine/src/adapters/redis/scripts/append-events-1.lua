--[[
  Appends a batch of events to the event stream in one call (one reply for the
  whole batch instead of one per XADD).

  KEYS[1] stream
  ARGV[1] approximate MAXLEN  ARGV[2..] JSON-encoded events, in order

  Invariant: events keep their order; each gets a stream id greater than every
  earlier one. Trimming is approximate (MAXLEN ~), so it costs little.
  Returns the number of events appended.
]]
local maxLen = ARGV[1]
for i = 2, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxLen, '*', 'e', ARGV[i])
end
return #ARGV - 1
