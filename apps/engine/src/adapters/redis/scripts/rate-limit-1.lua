--[[
  Token bucket shared by every worker of a rate limit.

  KEYS[1] bucket (hash: tokens, at)
  ARGV[1] now (epoch ms)  ARGV[2] tokens per ms  ARGV[3] capacity

  Invariant: across all workers no more than capacity + rate * elapsed tokens
  are ever handed out. Returns 0 if a token was taken, else the ms until the
  next token is due (the caller parks the task in the delayed set that long).
]]
local now = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1] or capacity)
local at = tonumber(state[2] or now)
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / perMs)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / perMs) + 60000)
return wait
