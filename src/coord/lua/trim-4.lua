-- trim-4.lua: reports what a consumer actually read for a lease (see Coordinator.trim).
-- Input:
--   KEYS[1] state hash, KEYS[2] leases hash, KEYS[3] lowest-pending zset, KEYS[4] deadline zset
--   ARGV[1] leaseId (0 = auto-ack claim)  ARGV[2] from  ARGV[3] to (the claim's span)  ARGV[4] readEnd (exclusive)
--   ARGV[5] delivered offsets as ranges "a-b,c-d"
-- Output:
--   "OK", or "STALE" when the lease (or the whole state) no longer exists; nothing changes then.
local id, from, to, readEnd = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local st = load_state(KEYS)
if not st.exists then return 'STALE' end
if id == '0' then
  release(st, clip({ { from, to } }, readEnd, to))
  save_state(KEYS, st)
  return 'OK'
end
local l = decode_lease(redis.call('HGET', KEYS[2], id))
if not l then return 'STALE' end
release(st, clip(l.pending, readEnd, math.huge))
-- Offsets read but not delivered (filtered by tag, deleted by retention) are done.
local read = clip(l.pending, -1, readEnd)
local kept = {}
local delivered = parse_ranges(ARGV[5])
for i = 1, #delivered do
  local part = clip(read, delivered[i][1], delivered[i][2])
  for j = 1, #part do kept[#kept + 1] = part[j] end
end
l.pending = normalize(kept)
if #l.pending > 0 then
  l.from = l.pending[1][1]
  l.to = l.pending[#l.pending][2]
end
put_lease(KEYS, id, l)
save_state(KEYS, st)
return 'OK'
