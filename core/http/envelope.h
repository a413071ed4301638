// The one response envelope {"status","message","data"} and the one table that maps
// error codes to HTTP statuses.
#pragma once

#include <string_view>

#include "core/http/request.h"
#include "core/util/status.h"

namespace dispatch::http {

int httpStatusFor(Code code);

// A success or error envelope with `data` as already-serialised JSON.
Response envelope(int status, std::string_view message, std::string_view dataJson = "null");
// An error envelope for a non-ok Status. kInternal never exposes its message; kRateLimited
// carries `Retry-After` (its retryAfterSeconds(), at least 1).
Response errorResponse(const Status& st);

}  // namespace dispatch::http
