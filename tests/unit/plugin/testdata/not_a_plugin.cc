// An ordinary shared library with neither dispatch_plugin_api_version() nor a manifest.
extern "C" int dispatch_test_not_a_plugin() { return 42; }
