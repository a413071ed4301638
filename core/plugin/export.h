// For `.so` plugins: DISPATCH_PLUGIN_EXPORT(MyFactory) writes the two symbols the loader looks
// for (docs/plugins.md). Uses Poco's manifest macros, so this header — unlike destination.h —
// needs Poco's Foundation headers; use it in one source file of the plugin.
#pragma once

#include <Poco/ClassLibrary.h>

#include "core/plugin/destination.h"

// `FactoryClass` derives from dispatch::plugin::DestinationFactory, is default-constructible,
// and is named as written in the manifest. Use at namespace scope, once per library.
#define DISPATCH_PLUGIN_EXPORT(FactoryClass)                                            \
  extern "C" __attribute__((visibility("default"))) int dispatch_plugin_api_version() { \
    return ::dispatch::plugin::kApiVersion;                                             \
  }                                                                                     \
  POCO_BEGIN_MANIFEST(::dispatch::plugin::DestinationFactory)                           \
  POCO_EXPORT_CLASS(FactoryClass)                                                       \
  POCO_END_MANIFEST
