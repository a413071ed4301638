// Formatting of the file plugin's JSON lines.
#include "plugins/file/file_line.h"

#include "core/plugin/support.h"

namespace dispatch::plugins {

std::string fileLine(const plugin::Delivery& d, int64_t deliveredAtMs) {
  using plugin::jsonQuote;
  std::string line;
  line.reserve(d.body.size() + 256);
  line.append("{\"id\":").append(jsonQuote(d.id));
  line.append(",\"eventId\":").append(jsonQuote(d.eventId));
  line.append(",\"destination\":").append(jsonQuote(d.destination));
  line.append(",\"eventType\":").append(jsonQuote(d.eventType));
  line.append(",\"headers\":{");
  for (size_t i = 0; i < d.headers.size(); ++i) {
    if (i > 0) line.push_back(',');
    line.append(jsonQuote(d.headers[i].first)).push_back(':');
    line.append(jsonQuote(d.headers[i].second));
  }
  line.append("},\"body\":").append(jsonQuote(d.body));
  line.append(",\"deliveredAt\":").append(jsonQuote(plugin::formatIsoUtc(deliveredAtMs)));
  line.append("}\n");
  return line;
}

}  // namespace dispatch::plugins
