-- Turns docs/config.md into namaed.toml(5) (one source, so the man page never
-- drifts from the documentation): its title becomes NAME and DESCRIPTION,
-- every other heading moves up a level (## -> .SH), and links into the
-- repository (../examples/namae.toml, other docs) become plain text, since a
-- man page has no repository around it. Web links keep their address.
local first = true

function Header(h)
  if h.level == 1 and first then
    first = false
    return {
      pandoc.Header(1, "NAME"),
      pandoc.Para(pandoc.Str("namaed.toml - configuration file of namaed(8)")),
      pandoc.Header(1, "DESCRIPTION"),
    }
  end
  h.level = math.max(1, h.level - 1)
  return h
end

function Link(l)
  if l.target:match("^https?:") then return nil end
  return l.content
end

-- The inlines of a table cell (its blocks joined).
local function cell_inlines(cell)
  local out = pandoc.List()
  for _, b in ipairs(cell.contents) do
    if b.content then
      if #out > 0 then out:insert(pandoc.Space()) end
      out:extend(b.content)
    end
  end
  return out
end

local function row_cells(row) return row.cells or row[2] end

-- Key tables ("| key | type | default | meaning |") read badly as tbl(1)
-- columns in a terminal; as a definition list each key is a tagged paragraph:
-- the key, then "type: ...; default: ..." and its meaning.
function Table(t)
  local heads = {}
  for _, cell in ipairs(row_cells(t.head.rows[1])) do table.insert(heads, pandoc.utils.stringify(cell.contents)) end
  local items = {}
  for _, body in ipairs(t.bodies) do
    for _, row in ipairs(body.body) do
      local cells = row_cells(row)
      local def = pandoc.List()
      local facts = pandoc.List()
      for i = 2, #cells - 1 do
        if #facts > 0 then facts:extend({pandoc.Str(";"), pandoc.Space()}) end
        facts:extend({pandoc.Emph({pandoc.Str(heads[i] .. ":")}), pandoc.Space()})
        facts:extend(cell_inlines(cells[i]))
      end
      if #facts > 0 then def:insert(pandoc.Para(facts)) end
      local meaning = cell_inlines(cells[#cells])
      if #meaning > 0 then def:insert(pandoc.Para(meaning)) end
      table.insert(items, {cell_inlines(cells[1]), {def}})
    end
  end
  return pandoc.DefinitionList(items)
end
