-- trim-6.lua: reports what a consumer actually read for a lease (see Coordinator.trim).
-- Input (keys and ARGV[1..2] as in lib.lua):
--   ARGV[3] leaseId (0 = auto-ack claim)  ARGV[4] from  ARGV[5] to (the claim's span)  ARGV[6] readEnd (exclusive)
--   ARGV[7] delivered offsets as ranges "a-b,c-d"
-- Output:
--   "OK", or "STALE" when the lease (or the whole state) no longer exists; nothing changes then.
local ttl, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local id, from, to, readEnd = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local st = load_state(KEYS)
if not st.exists then return 'STALE' end
if id == '0' then
  release(st, clip({ { from, to } }, readEnd, to))
  save_state(KEYS, st)
  touch(KEYS, ttl)
  return 'OK'
end
local l = decode_lease(redis.call('HGET', KEYS[2], id))
if not l then return 'STALE' end
local unread = clip(l.pending, readEnd, math.huge)
if l.attempt <= 1 then
  release(st, unread)
elseif #unread > 0 then
  -- A redelivery that did not fit the reply: the unread offsets stay a lease of their own, expired at once and one
  -- attempt lower, so that their next delivery counts as this one (attempts never reset).
  put_lease(KEYS, next_id(st, now), { from = unread[1][1], to = unread[#unread][2], deadline = 0, attempt = l.attempt - 1,
    cut = unread[1][1], pending = unread, sub = l.sub })
end
-- Offsets read but not delivered (filtered by tag, deleted by retention) are done.
local read = clip(l.pending, -1, readEnd)
local kept = {}
local delivered = parse_ranges(ARGV[7])
for i = 1, #delivered do
  local part = clip(read, delivered[i][1], delivered[i][2])
  for j = 1, #part do kept[#kept + 1] = part[j] end
end
l.pending = normalize(kept)
if #l.pending > 0 then
  l.from = l.pending[1][1]
  l.to = l.pending[#l.pending][2]
  if l.from < l.cut then l.cut = l.from end
end
put_lease(KEYS, id, l)
save_state(KEYS, st)
touch(KEYS, ttl)
return 'OK'
