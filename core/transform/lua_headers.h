// The Lua 5.4 C API for C++ code. Only files in core/transform/ may include this.
#pragma once

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}
