// A plugin built for an older API version (1, before Destination::render()): the loader must
// refuse it before its manifest.
#include <Poco/ClassLibrary.h>

#include "core/plugin/destination.h"

namespace {

class BadVersionFactory final : public dispatch::plugin::DestinationFactory {
 public:
  std::string name() const override { return "badversion"; }
  std::unique_ptr<dispatch::plugin::Destination> create(const dispatch::plugin::ConfigView&,
                                                        const dispatch::plugin::Services&,
                                                        std::string*) const override {
    return nullptr;
  }
};

}  // namespace

extern "C" __attribute__((visibility("default"))) int dispatch_plugin_api_version() { return 1; }

POCO_BEGIN_MANIFEST(dispatch::plugin::DestinationFactory)
POCO_EXPORT_CLASS(BadVersionFactory)
POCO_END_MANIFEST
