-- reshape.lua: a slim JSON body for an internal service, in the manner of github_slim.lua.
--
-- The receiver gets {"action","commits","delivery","ref","repo","sender","title","url"}
-- instead of GitHub's 10-30 KiB payload. Keys come out sorted (json.encode sorts them).

-- A value that may be missing (nil) or JSON null (json.null) becomes a string or json.null.
local function str(v)
  if type(v) == "string" then return v end
  if type(v) == "number" then return tostring(v) end
  return json.null
end

function transform(event)
  local b = event.body
  if type(b) ~= "table" then return nil end
  if b.action == "deleted" then return nil end -- drop: nothing to do for deletions

  local repo = type(b.repository) == "table" and b.repository or {}
  local sender = type(b.sender) == "table" and b.sender or {}
  local slim = {
    repo = str(repo.full_name),
    action = str(b.action),     -- push events have no action: null, and the key stays
    sender = str(sender.login),
    delivery = str(event.headers["x-github-delivery"]),
  }

  -- The item the event is about, whichever kind it is.
  local item = b.pull_request or b.issue or b.release
  if type(item) == "table" then
    slim.title = str(item.title or item.name)
    slim.url = str(item.html_url)
  end

  if event.type == "push" then
    slim.ref = str(b.ref)
    -- json.decode("[]") is an empty array that stays an array; a plain {} would be
    -- encoded as an object when no commit is added.
    local commits = json.decode("[]")
    if type(b.commits) == "table" then
      for _, c in ipairs(b.commits) do
        if type(c) == "table" then
          local id = str(c.id)
          if type(id) == "string" then id = id:sub(1, 7) end
          commits[#commits + 1] = { id = id, message = str(c.message) }
        end
      end
    end
    slim.commits = commits
  end

  event.body = slim
  -- Incoming headers are not forwarded; pass on the ones the service wants.
  event.headers_out = {
    ["X-GitHub-Event"] = event.type,
    ["X-Team"] = "platform",
  }
  return event
end
