-- filter.lua: keep the GitHub events a chat channel wants, drop the noise.
--
-- Returning nil (or false) drops the event for this link only: no delivery is made, and the
-- event's `skipped` list records {"destination": "chat", "reason": "transform returned nil"}.
-- Returning the event unchanged delivers the original request body byte for byte.

-- Chunk-level locals are fine for constants; never keep state in them between calls.
local QUIET_ACTIONS = { labeled = true, unlabeled = true, edited = true, synchronize = true }

function transform(event)
  local body = event.body
  if type(body) ~= "table" then
    return nil -- the body was not JSON
  end

  -- Bots (dependabot, CI apps) are not chat material.
  local sender = body.sender
  if type(sender) == "table" and sender.type == "Bot" then
    return nil
  end

  -- Routine edits. A JSON null arrives as json.null, which is never a key of QUIET_ACTIONS.
  if body.action ~= nil and QUIET_ACTIONS[body.action] then
    return nil
  end

  -- Pushes only when they land on the default branch.
  if event.type == "push" then
    local repo = body.repository
    if type(repo) ~= "table" or type(repo.default_branch) ~= "string" then
      return nil
    end
    if body.ref ~= "refs/heads/" .. repo.default_branch then
      return nil
    end
  end

  return event
end
