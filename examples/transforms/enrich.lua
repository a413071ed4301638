-- enrich.lua: Stripe events for a billing service. Keeps Stripe's payload, adds a
-- `dispatch` object with derived fields, sets outgoing headers and renames the type to
-- "stripe.<type>". The new type is what the destination's `events` filter and the
-- X-Dispatch-Event-Type header see.

-- Currencies whose amounts are not in cents (a few of Stripe's zero-decimal currencies).
local ZERO_DECIMAL = { bif = true, clp = true, jpy = true, krw = true, pyg = true, vnd = true }

-- 1999, "eur" -> "19.99 EUR"; nil when either part is missing or of the wrong type.
local function money(amount, currency)
  if math.type(amount) ~= "integer" or type(currency) ~= "string" then return nil end
  local cur = currency:upper()
  if ZERO_DECIMAL[currency:lower()] then
    return string.format("%d %s", amount, cur)
  end
  local sign = amount < 0 and "-" or ""
  amount = math.abs(amount)
  return string.format("%s%d.%02d %s", sign, amount // 100, amount % 100, cur)
end

function transform(event)
  local b = event.body
  -- An error makes this link's delivery DEAD with the message (and the script line) as its
  -- `error`; fix the script, reload, and replay the event.
  if type(b) ~= "table" then error("expected a JSON body from Stripe") end

  local obj = type(b.data) == "table" and b.data.object or nil
  local info = {
    event_id = event.id,             -- Dispatch's event id
    stripe_event = b.id,             -- Stripe's evt_…
    received_type = event.type,
    livemode = b.livemode == true,
    enriched_at = os.date("!%Y-%m-%dT%H:%M:%SZ"),
  }
  if type(obj) == "table" then
    info.object = obj.object
    info.customer = obj.customer      -- may be json.null: the key is kept as null
    info.amount = money(obj.amount_due or obj.amount, obj.currency)
  end
  b.dispatch = info

  event.type = "stripe." .. event.type
  event.headers_out = {
    ["X-Stripe-Event-Id"] = type(b.id) == "string" and b.id or "unknown",
    ["Idempotency-Key"] = event.id,
  }
  log("enriched " .. event.type)
  return event
end
