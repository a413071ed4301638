// Tests for the sandbox's own Lua pattern functions (core/transform/lua_pattern.h,
// lua_string_match.h): conformance with Lua 5.4's string library (hand-written expectations,
// and random cases checked against the real library in a plain lua_State), errors, and the
// instruction budget that stops hostile patterns.
#include "core/transform/lua_pattern.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/transform/lua_headers.h"
#include "core/transform/transform.h"
#include "tests/unit/transform/transform_test_util.h"

namespace dispatch::transform {
namespace {

using test_util::Timed;

using Kind = Output::Kind;
using internal::PatternMatcher;

// Runs each case (`name, args...` for string[name]) with pcall and prints one line per case:
// the results, or "error: <message>". gmatch cases print every iteration's values.
const char* kHarness = R"lua(
local function q(v)
  if type(v) ~= 'string' then return tostring(v) end
  local out = { '"' }
  for i = 1, #v do
    local b = string.byte(v, i)
    if b == 34 or b == 92 then out[#out + 1] = '\\' .. string.char(b)
    elseif b < 32 or b > 126 then out[#out + 1] = string.format('\\%03d', b)
    else out[#out + 1] = string.char(b) end
  end
  out[#out + 1] = '"'
  return table.concat(out)
end
local function ser(t, i, j)
  local out = {}
  for k = i, j do out[#out + 1] = q(t[k]) end
  return table.concat(out, ',')
end
local function run(c)
  local r
  if c[1] == 'gmatch' then
    r = table.pack(pcall(function()
      local out, it = {}, string.gmatch(c[2], c[3], c[4])
      for _ = 1, 200 do
        local v = table.pack(it())
        if v[1] == nil then break end
        out[#out + 1] = ser(v, 1, v.n)
      end
      return table.concat(out, ' ; ')
    end))
    if r[1] then return r[2] end
  else
    r = table.pack(pcall(string[c[1]], table.unpack(c, 2, c.n)))
    if r[1] then return ser(r, 2, r.n) end
  end
  return 'error: ' .. tostring(r[2])
end
local F = function(...)
  local t = table.pack(...)
  if t[1] == 'x' then return nil end
  local parts = {}
  for i = 1, t.n do parts[i] = tostring(t[i]) end
  return '<' .. table.concat(parts, '|') .. '>'
end
local T = { a = 'A', b = false, ['1'] = 'one', [1] = 'pos1', n = 5, t = {} }
local P = table.pack
function transform(event)
  local cases = {
@CASES@
  }
  local out = {}
  for i, c in ipairs(cases) do out[i] = run(c) end
  event.body = table.concat(out, '\n')
  return event
end
)lua";

std::string harness(const std::vector<std::string>& cases) {
  std::string list;
  for (const std::string& c : cases) list += "    P(" + c + "),\n";
  std::string source = kHarness;
  source.replace(source.find("@CASES@"), 7, list);
  return source;
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

Limits generousLimits() {
  Limits limits;
  limits.maxInstructions = 2'000'000'000;
  limits.maxCpuTimeMs = 600'000;
  limits.maxMemoryBytes = 256 << 20;
  limits.maxOutputBytes = 64 << 20;
  return limits;
}

// The harness's output through our functions, in the sandbox.
std::vector<std::string> runInSandbox(const std::vector<std::string>& cases) {
  auto t = Transform::compile("transforms/test.lua", harness(cases), generousLimits(), "l");
  EXPECT_TRUE(t.isOk()) << t.status().message();
  if (!t.isOk()) return {};
  EventInput e;
  e.body = "{}";
  Output out = t.value()->run(e);
  EXPECT_EQ(out.kind, Kind::kDeliver) << out.error;
  return splitLines(out.body);
}

// The same through the real Lua 5.4 string library in a plain state.
std::vector<std::string> runInRealLua(const std::vector<std::string>& cases) {
  const std::string source = harness(cases);
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  std::string body;
  if (luaL_loadbufferx(L, source.data(), source.size(), "@transforms/test.lua", "t") != LUA_OK ||
      lua_pcall(L, 0, 0, 0) != LUA_OK) {
    ADD_FAILURE() << lua_tostring(L, -1);
  } else {
    lua_getglobal(L, "transform");
    lua_createtable(L, 0, 1);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
      ADD_FAILURE() << lua_tostring(L, -1);
    } else {
      lua_getfield(L, -1, "body");
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      body.assign(s, len);
    }
  }
  lua_close(L);
  return splitLines(body);
}

// "error: transforms/test.lua:12: msg" -> "error: msg" (gmatch errors carry the harness line).
std::string withoutPosition(const std::string& line) {
  const std::string prefix = "error: transforms/test.lua:";
  if (line.compare(0, prefix.size(), prefix) != 0) return line;
  const size_t colon = line.find(": ", prefix.size());
  return colon == std::string::npos ? line : "error: " + line.substr(colon + 2);
}

struct Case {
  std::string call;      // Lua arguments of P(...): function name, then its arguments
  std::string expected;  // the harness line, without an error's position
};

// Expected values reasoned from the reference manual §6.4.1 and §6.4.
const std::vector<Case> kCases = {
    // find: positions, init, plain, anchors, captures
    {"'find', 'hello world', 'o w'", "5,7"},
    {"'find', 'hello', 'l'", "3,3"},
    {"'find', 'hello', 'l', 4", "4,4"},
    {"'find', 'hello', 'l', -1", "nil"},
    {"'find', 'hello', 'l', -2", "4,4"},
    {"'find', 'hello', 'h', -100", "1,1"},
    {"'find', 'hello', '', 10", "nil"},
    {"'find', 'hello', '', 6", "6,5"},
    {"'find', 'hello', '', 0", "1,0"},
    {"'find', 'hello', 'o', 6", "nil"},
    {"'find', 'a.b', '.', 1, true", "2,2"},
    {"'find', 'a+b', '+', 1, true", "2,2"},
    {"'find', 'a(b', '(', 1, true", "2,2"},
    {"'find', 'a+b', 'a+'", "1,1"},
    {"'find', 'hello', 'l+'", "3,4"},
    {"'find', 'hello', '(l)(l)'", R"~(3,4,"l","l")~"},
    {"'find', 'hello', '()ll()'", "3,4,3,5"},
    {"'find', 'hello', '(h)(e)(l)(l)(o)'", R"~(1,5,"h","e","l","l","o")~"},
    {"'find', 'hello', 'xyz'", "nil"},
    {"'find', '', ''", "1,0"},
    {"'find', '', 'a*'", "1,0"},
    {"'find', 'abc', '^b'", "nil"},
    {"'find', 'abc', '^a'", "1,1"},
    {"'find', 'abc', '^b', 2", "2,2"},
    {"'find', 'abc', 'c$'", "3,3"},
    {"'find', 'abc', 'b$'", "nil"},
    {"'find', 'a$c', '$c'", "2,3"},
    {"'find', 'a^c', 'a^'", "1,2"},
    {"'find', 12345, 34", "3,4"},
    {"'find', 'abc', 'b', 2.0", "2,2"},
    {"'find', 'aXbXc', '(X).-%1'", R"~(2,4,"X")~"},
    {"'find', 'a\\0b', '\\0', 1, true", "2,2"},
    {"'find', 'abc', '%f[%a]'", "1,0"},
    {"'find', 'abc', '%f[%A]'", "4,3"},
    // match: classes, sets, quantifiers
    {"'match', 'hello world', '%w+'", R"~("hello")~"},
    {"'match', 'hello world', '%w+', 6", R"~("world")~"},
    {"'match', '  trim me  ', '^%s*(.-)%s*$'", R"~("trim me")~"},
    {"'match', 'key=value', '(%w+)=(%w+)'", R"~("key","value")~"},
    {"'match', '2024-01-15', '(%d+)-(%d+)-(%d+)'", R"~("2024","01","15")~"},
    {"'match', 'abc', '()'", "1"},
    {"'match', 'abc', '()', 4", "4"},
    {"'match', 'abc', 'a', 5", "nil"},
    {"'match', 'abc', '$', 4", R"~("")~"},
    {"'match', 'abc', '.-b'", R"~("ab")~"},
    {"'match', 'aaab', 'a-b'", R"~("aaab")~"},
    {"'match', 'aaa', 'a-'", R"~("")~"},
    {"'match', 'aaa', 'a-$'", R"~("aaa")~"},
    {"'match', 'xaaay', 'a*'", R"~("")~"},
    {"'match', 'xaaay', 'a+'", R"~("aaa")~"},
    {"'match', 'color', 'colou?r'", R"~("color")~"},
    {"'match', 'colour', 'colou?r'", R"~("colour")~"},
    {"'match', '<a><b>', '<(.-)>'", R"~("a")~"},
    {"'match', '<a><b>', '<(.*)>'", R"~("a><b")~"},
    {"'match', '-12', '^[+-]?%d+$'", R"~("-12")~"},
    {"'match', '+x', '^[+-]?%d+$'", "nil"},
    {"'match', 'abc123', '[%d]+'", R"~("123")~"},
    {"'match', 'abc123', '[^%a]+'", R"~("123")~"},
    {"'match', 'a-b', '[a-]+'", R"~("a-")~"},
    {"'match', 'x]y', '[]]'", R"~("]")~"},
    {"'match', 'x]y', '[^]]+'", R"~("x")~"},
    {"'match', 'hello', '[a-f]'", R"~("e")~"},
    {"'match', 'HeLLo', '[A-Z]+'", R"~("H")~"},
    {"'match', 'a^b', '[b^]+'", R"~("^b")~"},
    {"'match', 'a%]b', '[%]%%]+'", R"~("%]")~"},
    {"'match', '%d', '%%d'", R"~("%d")~"},
    {"'match', 'a.b', '%.'", R"~(".")~"},
    {"'match', 'tab\\there', '%c'", R"~("\009")~"},
    {"'match', 'x!y', '%p'", R"~("!")~"},
    {"'match', 'abc', '%u'", "nil"},
    {"'match', 'abC', '%u'", R"~("C")~"},
    {"'match', 'ab cd', '%S+$'", R"~("cd")~"},
    {"'match', '0x1F', '0x(%x+)'", R"~("1F")~"},
    {"'match', ' x ', '%g'", R"~("x")~"},
    {"'match', 'a1', '%A'", R"~("1")~"},
    {"'match', 'Ab', '%L'", R"~("A")~"},
    {"'match', 'a_1', '%W'", R"~("_")~"},
    {"'match', 'q', '%q'", R"~("q")~"},
    {"'match', 'a\\0b', '.%c.'", R"~("a\000b")~"},
    {"'match', 'a\\0b', 'a\\0b'", R"~("a\000b")~"},
    {"'match', '\\200\\201', '[\\128-\\255]+'", R"~("\200\201")~"},
    {"'match', '\\200', '%a'", "nil"},
    // %b, %f, back-references
    {"'match', 'f(a(b)c)d', '%b()'", R"~("(a(b)c)")~"},
    {"'match', '((x)', '%b()'", R"~("(x)")~"},
    {"'match', '[[x]]', '%b[]'", R"~("[[x]]")~"},
    {"'match', '\"a\"b\"', '%b\"\"'", R"~("\"a\"")~"},
    {"'match', '(foo)bar', '^%b()'", R"~("(foo)")~"},
    {"'match', 'no parens', '%b()'", "nil"},
    {"'match', 'THE (quick) fox', '%f[%a]%a+'", R"~("THE")~"},
    {"'match', 'THE (quick) fox', '%f[%l]%a+'", R"~("quick")~"},
    {"'match', 'the end', '%f[%W]'", R"~("")~"},
    {"'match', [[say \"hi\" now]], [[([\"'])(.-)%1]]", R"~("\"","hi")~"},
    {"'match', 'abcabc', '(abc)%1'", R"~("abc")~"},
    {"'match', 'xyzxy', '(xy)z%1'", R"~("xy")~"},
    {"'match', 'aa', '()a%1'", "nil"},
    {"'match', 'a(b)c', '(%b())'", R"~("(b)")~"},
    {"'match', 'x = 1', '^(%w+)%s*=%s*(%w+)$'", R"~("x","1")~"},
    // gmatch
    {"'gmatch', 'one two three', '%a+'", R"~("one" ; "two" ; "three")~"},
    {"'gmatch', 'k1=v1, k2=v2', '(%w+)=(%w+)'", R"~("k1","v1" ; "k2","v2")~"},
    {"'gmatch', 'abc', ''", R"~("" ; "" ; "" ; "")~"},
    {"'gmatch', 'abc', 'a*'", R"~("a" ; "" ; "")~"},
    {"'gmatch', 'hello world', '%a+', 3", R"~("llo" ; "world")~"},
    {"'gmatch', 'hello', '.', -2", R"~("l" ; "o")~"},
    {"'gmatch', 'hello', '.', 10", ""},
    {"'gmatch', '^a^a', '^a'", R"~("^a" ; "^a")~"},
    {"'gmatch', 'abc', '()'", "1 ; 2 ; 3 ; 4"},
    {"'gmatch', 'a,b,,c', '([^,]*)'", R"~("a" ; "b" ; "" ; "c")~"},
    // gsub: string, table and function replacements, counts
    {"'gsub', 'hello world', 'o', '0'", R"~("hell0 w0rld",2)~"},
    {"'gsub', 'hello world', 'o', '0', 1", R"~("hell0 world",1)~"},
    {"'gsub', 'hello', '', '-'", R"~("-h-e-l-l-o-",6)~"},
    {"'gsub', 'abc', '%w', '%0%0'", R"~("aabbcc",3)~"},
    {"'gsub', 'hello world', '(%w+)', '<%1>'", R"~("<hello> <world>",2)~"},
    {"'gsub', 'hello world', '(%w+) (%w+)', '%2 %1'", R"~("world hello",1)~"},
    {"'gsub', 'hello world', '(o)', '%1%1'", R"~("helloo woorld",2)~"},
    {"'gsub', 'abc', '%w', '%%'", R"~("%%%",3)~"},
    {"'gsub', 'abc', 'b', '%1'", R"~("abc",1)~"},
    {"'gsub', 'abc', '()b', '[%1]'", R"~("a[2]c",1)~"},
    {"'gsub', 'abc', '^a', 'X'", R"~("Xbc",1)~"},
    {"'gsub', 'aaa', '^a', 'X'", R"~("Xaa",1)~"},
    {"'gsub', 'abc', '^', 'X'", R"~("Xabc",1)~"},
    {"'gsub', 'abc', '$', 'X'", R"~("abcX",1)~"},
    {"'gsub', 'abc', 'x*', '-'", R"~("-a-b-c-",4)~"},
    {"'gsub', 'abc', 'b*', '-'", R"~("-a-c-",3)~"},
    {"'gsub', 'abc', '.', 'x', 0", R"~("abc",0)~"},
    {"'gsub', 'abc', '.', 'x', -1", R"~("abc",0)~"},
    {"'gsub', 'abc', '%w', 5", R"~("555",3)~"},
    {"'gsub', 'abc', '%w', T", R"~("Abc",3)~"},
    {"'gsub', 'a1', '%d', T", R"~("aone",1)~"},
    {"'gsub', 'ab', '()a', T", R"~("pos1b",1)~"},
    {"'gsub', 'ab', '()b', T", R"~("ab",1)~"},
    {"'gsub', 'n', 'n', T", R"~("5",1)~"},
    {"'gsub', 'axb', '%a', F", R"~("<a>x<b>",3)~"},
    {"'gsub', 'k=v', '(%w)=(%w)', F", R"~("<k|v>",1)~"},
    {"'gsub', 'ab', '()', F", R"~("<1>a<2>b<3>",3)~"},
    {"'gsub', 'abc', '.', F, 2", R"~("<a><b>c",2)~"},
    {"'gsub', 'hello world from Lua', '%f[%w]%w+', F", R"~("<hello> <world> <from> <Lua>",4)~"},
    {"'gsub', 'THE (quick) fox', '%f[%a]%a+', 'W'", R"~("W (W) W",3)~"},
    // errors
    {"'find', 'a', '%'", "error: malformed pattern (ends with '%')"},
    {"'find', 'a', '[a'", "error: malformed pattern (missing ']')"},
    {"'find', 'a', '[a%]'", "error: malformed pattern (missing ']')"},
    {"'find', 'a', '[^]'", "error: malformed pattern (missing ']')"},
    {"'find', 'a', '(a'", "error: unfinished capture"},
    {"'find', 'a', 'a)'", "nil"},  // no specials: a plain search
    {"'match', 'a', 'a)'", "error: invalid pattern capture"},
    {"'match', 'a', '%1'", "error: invalid capture index %1"},
    {"'match', 'a', '%0'", "error: invalid capture index %0"},
    {"'match', 'a', '(a)%2'", "error: invalid capture index %2"},
    {"'match', 'aa', '(a%1)'", "error: invalid capture index %1"},
    {"'match', 'a', '%f'", "error: missing '[' after '%f' in pattern"},
    {"'match', 'a', '%fa'", "error: missing '[' after '%f' in pattern"},
    {"'match', 'a', '%b'", "error: malformed pattern (missing arguments to '%b')"},
    {"'match', 'a', '%ba'", "error: malformed pattern (missing arguments to '%b')"},
    {"'match', string.rep('a', 40), string.rep('(a)', 33)", "error: too many captures"},
    {"'match', string.rep('a', 300), string.rep('a?', 300)", "error: pattern too complex"},
    {"'match', 'aaa', string.rep('a*', 300)", R"~("aaa")~"},  // only the first a* nests
    {"'gmatch', 'a', '(a'", "error: unfinished capture"},
    {"'gsub', 'abc', 'b', '%2'", "error: invalid capture index %2"},
    {"'gsub', 'abc', 'b', '%x'", "error: invalid use of '%' in replacement string"},
    {"'gsub', 'abc', 'b', 'x%'", "error: invalid use of '%' in replacement string"},
    {"'gsub', 't', 't', T", "error: invalid replacement value (a table)"},
    {"'gsub', 'abc', 'b', true",
     "error: bad argument #3 to 'string.gsub' (string/function/table expected, got boolean)"},
    {"'find', 'abc', 'b', 1.5",
     "error: bad argument #3 to 'string.find' (number has no integer representation)"},
    {"'find', nil, 'b'", "error: bad argument #1 to 'string.find' (string expected, got nil)"},
};

std::vector<std::string> callsOf(const std::vector<Case>& cases) {
  std::vector<std::string> calls;
  for (const Case& c : cases) calls.push_back(c.call);
  return calls;
}

TEST(TransformPatternConformanceTest, HandWrittenCases) {
  const std::vector<std::string> got = runInSandbox(callsOf(kCases));
  ASSERT_EQ(got.size(), kCases.size());
  for (size_t i = 0; i < kCases.size(); ++i) {
    EXPECT_EQ(withoutPosition(got[i]), kCases[i].expected) << "P(" << kCases[i].call << ")";
  }
}

TEST(TransformPatternConformanceTest, HandWrittenCasesAgreeWithRealLua) {
  const std::vector<std::string> ours = runInSandbox(callsOf(kCases));
  const std::vector<std::string> real = runInRealLua(callsOf(kCases));
  ASSERT_EQ(ours.size(), kCases.size());
  ASSERT_EQ(real.size(), kCases.size());
  for (size_t i = 0; i < kCases.size(); ++i) {
    EXPECT_EQ(ours[i], real[i]) << "P(" << kCases[i].call << ")";
  }
}

TEST(TransformPatternConformanceTest, NestingDepthCapAgreesWithRealLua) {
  std::vector<std::string> calls;
  for (int n : {150, 198, 199, 200, 201, 250}) {
    for (const char* item : {"a?", "a*", "a-", "(a)"}) {
      calls.push_back("'match', string.rep('a', 300), string.rep('" + std::string(item) + "', " +
                      std::to_string(n) + ")");
    }
    calls.push_back("'match', string.rep('a', 300), string.rep('(', " + std::to_string(n / 8) +
                    ") .. 'a' .. string.rep(')', " + std::to_string(n / 8) + ")");
  }
  const std::vector<std::string> ours = runInSandbox(calls);
  const std::vector<std::string> real = runInRealLua(calls);
  ASSERT_EQ(ours.size(), calls.size());
  ASSERT_EQ(real.size(), calls.size());
  for (size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(ours[i], real[i]) << calls[i];
}

// Random patterns built from every feature (malformed ones included) over short subjects, so
// the real library never runs long.
class CaseGenerator {
 public:
  explicit CaseGenerator(uint32_t seed) : rng_(seed) {}

  std::string next() {
    const std::string subject = quote(randomSubject());
    const std::string pattern = quote(randomPattern());
    switch (pick(6)) {
      case 0:
        return "'find', " + subject + ", " + pattern + randomInit() +
               (pick(5) == 0 ? ", true" : "");
      case 1:
        return "'match', " + subject + ", " + pattern + randomInit();
      case 2:
        return "'gmatch', " + subject + ", " + pattern + randomInit();
      default: {
        static const char* kRepl[] = {"'<%0>'", "'%1'", "'[%2]'", "'%%'", "'x'", "F", "T", "''"};
        std::string call = "'gsub', " + subject + ", " + pattern + ", " + kRepl[pick(8)];
        if (pick(4) == 0) call += ", " + std::to_string(pick(4));
        return call;
      }
    }
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string randomSubject() {
    static const char kAlphabet[] = "aaabbb  1(()).x%[]^$\n\200";
    std::string s;
    for (int n = pick(13); n > 0; --n) s += kAlphabet[pick(sizeof kAlphabet - 1)];
    return s;
  }

  std::string randomInit() {
    static const char* kInits[] = {"", "", "", ", 1", ", 2", ", -1", ", -3", ", 0", ", 5", ", 20"};
    return kInits[pick(10)];
  }

  std::string randomPattern() {
    static const char* kAtoms[] = {"a",    "b",     ".",   "%a",   "%d",   "%s",    "%w",
                                   "%A",   "%S",    "%p",  "[ab]", "[^a]", "[a-c]", "[%d%s]",
                                   "[]a]", "[^%w]", "%%",  "%.",   "x",    " ",     "1",
                                   "%(",   "%)",    "[(]", "^",    "$",    "%x",    "\x80"};
    static const char* kQuantifiers[] = {"", "", "", "*", "+", "-", "?"};
    static const char* kSpecial[] = {"%1", "%2", "%b()", "%bab", "%f[%a]", "%f[%s]", "%f[^a]",
                                     "()", "%",  "[a",   ")",    "%f",     "%b(",    "%0"};
    std::string p = pick(5) == 0 ? "^" : "";
    int open = 0;
    for (int n = pick(6); n > 0; --n) {
      const int kind = pick(10);
      if (kind < 6) {
        p += kAtoms[pick(sizeof kAtoms / sizeof *kAtoms)];
        p += kQuantifiers[pick(7)];
      } else if (kind == 6) {
        p += "(";
        ++open;
      } else if (kind == 7 && open > 0) {
        p += ")";
        --open;
      } else {
        const int rare = pick(sizeof kSpecial / sizeof *kSpecial);
        if (rare < 8 || pick(4) == 0) p += kSpecial[rare];  // malformed pieces only now and then
      }
    }
    for (; open > 0; --open) {
      if (pick(10) != 0) p += ")";
    }
    if (pick(5) == 0) p += "$";
    return p;
  }

  static std::string quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 32 || c > 126) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\%03d", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + "\"";
  }

  std::mt19937 rng_;
};

TEST(TransformPatternConformanceTest, RandomCasesAgreeWithRealLua) {
  CaseGenerator gen(20240611);
  std::vector<std::string> calls;
  for (int i = 0; i < 20000; ++i) calls.push_back(gen.next());
  const std::vector<std::string> ours = runInSandbox(calls);
  const std::vector<std::string> real = runInRealLua(calls);
  ASSERT_EQ(ours.size(), calls.size());
  ASSERT_EQ(real.size(), calls.size());
  int mismatches = 0;
  int errors = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    errors += real[i].compare(0, 6, "error:") == 0;
    if (ours[i] != real[i] && ++mismatches <= 20) {
      ADD_FAILURE() << "P(" << calls[i] << ")\n  ours: " << ours[i] << "\n  real: " << real[i];
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(errors, 50);  // the generator does reach the error paths
}

// --- the matcher on its own ---------------------------------------------------------------

TEST(TransformPatternMatcherTest, CountsStepsAndStopsAtTheBudget) {
  const std::string subject(5000, 'a');
  PatternMatcher m(subject, "a*a*a*a*a*a*a*a*a*a*b", 1'000'000);
  EXPECT_EQ(m.match(0), PatternMatcher::kNoMatch);
  EXPECT_EQ(m.failure(), PatternMatcher::Failure::kBudget);
  EXPECT_GT(m.steps(), 1'000'000);
  EXPECT_LT(m.steps(), 1'010'000);                  // it stops right there
  EXPECT_EQ(m.match(0), PatternMatcher::kNoMatch);  // and stays failed

  PatternMatcher small("hello", "l+", 1000);
  EXPECT_EQ(small.match(2), 4u);
  EXPECT_EQ(small.failure(), PatternMatcher::Failure::kNone);
  EXPECT_GT(small.steps(), 0);
  EXPECT_LT(small.steps(), 20);
}

TEST(TransformPatternMatcherTest, StepsGrowLinearlyForLinearWork) {
  auto stepsFor = [](size_t n) {
    const std::string subject(n, 'x');
    PatternMatcher m(subject, "%a+", INT64_MAX);
    EXPECT_EQ(m.match(0), n);
    return m.steps();
  };
  const int64_t a = stepsFor(1000);
  const int64_t b = stepsFor(2000);
  EXPECT_GE(b, 2 * a - 10);
  EXPECT_LE(b, 2 * a + 10);
}

TEST(TransformPatternMatcherTest, PlainSearchIsBudgeted) {
  const std::string hay(1 << 20, 'a');
  const std::string needle = std::string(1 << 19, 'a') + "b";
  PatternMatcher m(hay, needle, 16'000'000);
  EXPECT_EQ(m.findPlain(0), PatternMatcher::kNoMatch);
  EXPECT_EQ(m.failure(), PatternMatcher::Failure::kBudget);

  PatternMatcher found("abcabd", "abd", 1000);
  EXPECT_EQ(found.findPlain(0), 3u);
  EXPECT_EQ(found.findPlain(4), PatternMatcher::kNoMatch);
  EXPECT_EQ(found.failure(), PatternMatcher::Failure::kNone);
  PatternMatcher empty("abc", "", 1000);
  EXPECT_EQ(empty.findPlain(3), 3u);
}

TEST(TransformPatternMatcherTest, DepthIsCapped) {
  const std::string pattern = [] {
    std::string p;
    for (int i = 0; i < 10000; ++i) p += "a?";
    return p;
  }();
  const std::string subject(20000, 'a');
  PatternMatcher m(subject, pattern, INT64_MAX);
  EXPECT_EQ(m.match(0), PatternMatcher::kNoMatch);
  EXPECT_EQ(m.failure(), PatternMatcher::Failure::kError);
  EXPECT_STREQ(m.message(), "pattern too complex");
}

TEST(TransformPatternMatcherTest, CapturesAndErrors) {
  PatternMatcher m("key=value", "(%w+)=()(%w+)", 1000);
  ASSERT_EQ(m.match(0), 9u);
  ASSERT_EQ(m.captureCount(), 3);
  PatternMatcher::Capture c;
  ASSERT_TRUE(m.capture(0, 0, 9, &c));
  EXPECT_EQ(c.start, 0u);
  EXPECT_EQ(c.length, 3u);
  ASSERT_TRUE(m.capture(1, 0, 9, &c));
  EXPECT_TRUE(c.position);
  EXPECT_EQ(c.start + 1, 5u);
  EXPECT_FALSE(m.capture(3, 0, 9, &c));
  EXPECT_STREQ(m.message(), "invalid capture index %4");

  PatternMatcher whole("abc", "b", 1000);
  ASSERT_EQ(whole.match(1), 2u);
  ASSERT_TRUE(whole.capture(0, 1, 2, &c));
  EXPECT_EQ(c.start, 1u);
  EXPECT_EQ(c.length, 1u);

  PatternMatcher bad("abc", "[a", 1000);
  EXPECT_EQ(bad.match(0), PatternMatcher::kNoMatch);
  EXPECT_EQ(bad.failure(), PatternMatcher::Failure::kError);
  EXPECT_STREQ(bad.message(), "malformed pattern (missing ']')");
}

// --- hostile patterns inside transforms ---------------------------------------------------

// The default limits, except CPU time: these tests are about the instruction count, which a
// slow (sanitizer) build must still hit first.
std::shared_ptr<const Transform> compileOk(const std::string& source,
                                           Limits limits = test_util::withoutCpuLimit()) {
  return test_util::compileOk(source, limits);
}

EventInput event(std::string_view body) {
  EventInput e;
  e.id = "evt_1";
  e.source = "test";
  e.body = body;
  return e;
}

Timed runTimed(const Transform& t, std::string_view body) {
  return test_util::runTimed(t, event(body));
}

const std::string kMegabyteOfSpaces = "x" + std::string(1 << 20, ' ') + "x";

TEST(TransformPatternLimitsTest, HostilePatternsStopQuicklyWithTheInstructionLimit) {
  const char* bodies[] = {
      // exponential backtracking, through every entry point
      "string.rep('a', 5000):find(string.rep('a*', 10) .. 'b')",
      "string.find(string.rep('a', 5000), string.rep('a*', 10) .. 'b')",
      "string.match(string.rep('a', 5000), string.rep('(a*)', 10) .. 'b')",
      "for w in string.rep('a', 5000):gmatch(string.rep('a-', 10) .. 'b') do end",
      "string.rep('a', 5000):gsub(string.rep('a?', 10) .. 'a*b', 'x')",
      "pcall(string.find, string.rep('a', 5000), string.rep('a*', 10) .. 'b') return e",
      // quadratic trims and searches on a 1 MB body
      "e.body:match('^%s*(.-)%s*$')",
      "e.body:gsub('%s+$', '')",
      "e.body:find(string.rep(' ', 1 << 19) .. 'y', 1, true)",
      "e.body:find('()' .. string.rep(' ', 1 << 19) .. 'y')",
      "e.body:match('(%s*)%1y')",
      "string.rep('(', 1 << 20):gsub('%b()', '')",
  };
  for (const char* body : bodies) {
    auto t = compileOk(std::string("function transform(e)\n  ") + body + "\nend");
    ASSERT_TRUE(t);
    const Timed r = runTimed(*t, kMegabyteOfSpaces);
    EXPECT_EQ(r.out.kind, Kind::kError) << body;
    EXPECT_EQ(r.out.error, "instruction limit exceeded (1000000)") << body;
    EXPECT_LT(r.ms, 1000) << body;
    std::printf("[ time ] %4lld ms  %s\n", static_cast<long long>(r.ms), body);
  }
}

TEST(TransformPatternLimitsTest, TheThreadRecoversAfterAHostilePattern) {
  auto hostile =
      compileOk("function transform(e) e.body = e.body:match('^%s*(.-)%s*$') return e end");
  auto good = compileOk(
      "function transform(e) e.body = e.body:match('^%s*(.-)%s*$'):gsub('%s+', ' ') "
      "return e end");
  ASSERT_TRUE(hostile && good);
  for (int i = 0; i < 3; ++i) {
    const Timed bad = runTimed(*hostile, kMegabyteOfSpaces);
    EXPECT_EQ(bad.out.error, "instruction limit exceeded (1000000)");
    Output out = good->run(event("  hello   pattern \t world  "));
    ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
    EXPECT_EQ(out.body, "hello pattern world");
    // The same transform on a friendly body works on the rebuilt state.
    Output ok = hostile->run(event("   trimmed   "));
    ASSERT_EQ(ok.kind, Kind::kDeliver) << ok.error;
    EXPECT_EQ(ok.body, "trimmed");
  }
}

TEST(TransformPatternLimitsTest, OrdinaryMatchingOnALargeBodyFitsTheDefaultBudget) {
  const std::string body = std::string(1 << 20, 'x') + "42";
  auto t = compileOk(R"(function transform(e)
    local digits = e.body:match('%d+')
    local first, last = e.body:find('42', 1, true)
    local _, spaces = e.body:gsub(' ', ' ')
    e.body = digits .. ':' .. first .. ':' .. spaces
    return e
  end)");
  const Timed r = runTimed(*t, body);
  ASSERT_EQ(r.out.kind, Kind::kDeliver) << r.out.error;
  EXPECT_EQ(r.out.body, "42:1048577:0");
  std::printf("[ time ] %4lld ms  match/find/gsub over a 1 MiB body\n",
              static_cast<long long>(r.ms));
}

TEST(TransformPatternLimitsTest, MatcherStepsCountAgainstTheConfiguredLimit) {
  Limits small = test_util::withoutCpuLimit();
  small.maxInstructions = 10'000;
  const std::string body(100'000, 'x');
  auto t = compileOk("function transform(e) e.body:find('%d') return e end", small);
  EXPECT_EQ(t->run(event(body)).error, "instruction limit exceeded (10000)");
  EXPECT_EQ(t->run(event("short")).kind, Kind::kDeliver);
}

TEST(TransformPatternLimitsTest, GsubCallbacksAreCountedByTheHook) {
  auto t = compileOk(R"(function transform(e)
    local n = 0
    e.body = string.rep('ab', 5000):gsub('.', function(c) for i = 1, 500 do n = n + 1 end end)
    return e
  end)");
  EXPECT_EQ(t->run(event("{}")).error, "instruction limit exceeded (1000000)");
  auto fine = compileOk(R"(function transform(e)
    e.body = ('a-b-c'):gsub('%a', function(c) return c:upper() end)
      .. ('x'):gsub('x', { x = 'y' })
    return e
  end)");
  Output out = fine->run(event("{}"));
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  EXPECT_EQ(out.body, "A-B-Cy");
}

TEST(TransformPatternLimitsTest, PatternErrorsAreLuaErrorsWithTheScriptLine) {
  const char* bodies[] = {
      "('x'):find('%')",
      "('x'):match('[x')",
      "('x'):gsub('x', '%9')",
      "string.rep('a', 300):match(string.rep('a?', 5000))",
      "('x'):match(string.rep('(', 40) .. 'x' .. string.rep(')', 40))",
      "for _ in ('x'):gmatch('%f') do end",
  };
  auto good = compileOk("function transform(e) return e end");
  for (const char* body : bodies) {
    auto t = compileOk(std::string("function transform(e)\n  ") + body + "\n  return e\nend");
    Output out = t->run(event("{}"));
    EXPECT_EQ(out.kind, Kind::kError) << body;
    EXPECT_EQ(out.error.rfind("transforms/test.lua:2: ", 0), 0u) << out.error;
    EXPECT_EQ(good->run(event("{}")).kind, Kind::kDeliver);
  }
  // A script may catch them, as in plain Lua.
  Output caught = compileOk(R"(function transform(e)
    local ok, err = pcall(string.find, 'x', '(')
    e.body = tostring(ok) .. ' ' .. err
    return e
  end)")
                      ->run(event("{}"));
  EXPECT_EQ(caught.body, "false unfinished capture");
}

TEST(TransformPatternLimitsTest, MethodsOnStringsUseTheSandboxFunctions) {
  auto t = compileOk(R"(function transform(e)
    local s = ''
    e.body = tostring(s.find == string.find and s.match == string.match and
                      s.gmatch == string.gmatch and s.gsub == string.gsub)
    return e
  end)");
  EXPECT_EQ(t->run(event("{}")).body, "true");
}

}  // namespace
}  // namespace dispatch::transform
