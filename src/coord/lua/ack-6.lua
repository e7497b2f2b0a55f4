-- ack-6.lua: acknowledges delivered offsets (see Coordinator.ack). Stale items never move an offset.
-- Input (keys and ARGV[1..2] as in lib.lua):
--   ARGV[3] "1" = all or nothing, "0" = apply the valid items;  ARGV[4..] pairs of leaseId, offset
-- Output:
--   { applied (1/0), committed (-1 when there is no state), status per item (0 OK, 1 ALREADY_ACKED, 2 STALE)... }
local ttl, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local allOrNothing = ARGV[3] == '1'
local st = load_state(KEYS)
local n = (#ARGV - 3) / 2
local statuses = {}
if not st.exists then
  for i = 1, n do statuses[i] = 2 end
  local applied = 1
  if allOrNothing and n > 0 then applied = 0 end
  return { applied, -1, unpack(statuses) }
end
-- First pass: judge every item against the leases as they are now, applying nothing yet.
local leases, seen, anyStale = {}, {}, false
for i = 1, n do
  local id, off = ARGV[2 + 2 * i], tonumber(ARGV[3 + 2 * i])
  if leases[id] == nil then leases[id] = decode_lease(redis.call('HGET', KEYS[2], id)) or false end
  local l = leases[id]
  local key = id .. ':' .. fmt(off)
  if not l then
    if redis.call('ZSCORE', KEYS[5], id) then statuses[i] = 1 else statuses[i] = 2 end
  elseif contains(l.pending, off) and not seen[key] then
    seen[key] = true
    statuses[i] = 0
  elseif off < l.cut then
    statuses[i] = 2
  elseif off >= l.from and off < l.to then
    statuses[i] = 1
  else
    statuses[i] = 2
  end
  if statuses[i] == 2 then anyStale = true end
end
if allOrNothing and anyStale then
  return { 0, tonumber(redis.call('HGET', KEYS[1], 'com')), unpack(statuses) }
end
-- Second pass: remove the OK offsets and write each touched lease once.
local touched = {}
for i = 1, n do
  if statuses[i] == 0 then
    local id = ARGV[2 + 2 * i]
    leases[id].pending = remove_offset(leases[id].pending, tonumber(ARGV[3 + 2 * i]))
    touched[id] = true
  end
end
for id, _ in pairs(touched) do
  put_lease(KEYS, id, leases[id])
  if #leases[id].pending == 0 then note_done(KEYS, id, now) end
end
local com = save_state(KEYS, st)
touch(KEYS, ttl)
return { 1, com, unpack(statuses) }
