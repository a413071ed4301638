// Event-type filters: `*` matches any run of characters (dots included); everything else
// is literal. An empty filter list matches every type.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dispatch::route {

bool globMatch(std::string_view pattern, std::string_view text);
bool anyGlobMatches(const std::vector<std::string>& patterns, std::string_view text);

}  // namespace dispatch::route
