// The CLI's JSON writer is the shared one in base/json.h (the REST API of
// src/http writes the same JSON); these names keep the CLI's spelling.
#pragma once

#include "base/json.h"

namespace namae::cli {

using namae::json_quote;
using namae::JsonWriter;

}  // namespace namae::cli
